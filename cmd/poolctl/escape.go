package main

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// cEscapes are the control characters with a C escape of their own.
var cEscapes = map[rune]string{
	'\a': `\a`, '\b': `\b`, '\f': `\f`, '\n': `\n`, '\r': `\r`, '\t': `\t`, '\v': `\v`, '\\': `\\`,
}

// escape makes text from a pool or a worker (a worker's STATUS=, say) safe
// to print on a terminal, in the manner of systemd's cescape: control
// characters become C escapes (\n, \x1b), Unicode format characters such as the bidi overrides
// and other characters that print nothing become \u202e or \U000e0001,
// bytes that are not UTF-8 \xff. A backslash doubles, so that no escape can
// be forged. Letters, marks, digits, punctuation, symbols and spaces of
// every script pass as they are.
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case cEscapes[r] != "":
			b.WriteString(cEscapes[r])
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unicode.IsGraphic(r):
			b.WriteRune(r)
		case r > 0xffff:
			fmt.Fprintf(&b, `\U%08x`, r)
		default: // format characters, separators, C1 controls, unassigned...
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += n
	}
	return b.String()
}
