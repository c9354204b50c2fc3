// Package plural counts things in English: "1 worker", "2 workers".
package plural

import "strconv"

// Of is n and noun, with an s unless n is 1 or -1.
func Of(n int, noun string) string {
	if n == 1 || n == -1 {
		return strconv.Itoa(n) + " " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
