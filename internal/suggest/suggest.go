// Package suggest finds the word a mistyped one was meant to be, for the
// "did you mean" of poold's and poolctl's usage errors.
package suggest

import "strings"

// Closest is the candidate nearest to word by edit distance (Levenshtein,
// case ignored), the first of equals; ok is false when none is within a
// distance of 2, or of 1 for words of up to 3 letters, where 2 edits make
// almost anything out of anything.
func Closest(word string, candidates []string) (best string, ok bool) {
	limit := min(2, len(word)/2)
	for _, c := range candidates {
		if d := distance(strings.ToLower(word), strings.ToLower(c)); d <= limit {
			best, ok, limit = c, true, d-1
		}
	}
	return best, ok
}

// distance is the Levenshtein distance between a and b, in bytes.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
