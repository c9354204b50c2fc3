package config

import (
	"errors"
	"fmt"
	"strings"
)

// Errors of SplitWords.
var (
	ErrUnterminatedQuote = errors.New("unterminated quote")
	ErrTrailingBackslash = errors.New("backslash at the end of the line")
)

// SplitWords splits one line into words the way a POSIX shell does, without
// any expansion: blanks separate words; '...' keeps everything literally;
// "..." too, except that a backslash there escapes $ ` " and \ only; outside
// quotes a backslash escapes any character; a '#' that begins a word begins
// a comment. Variables, globs and ~ stay as written.
func SplitWords(line string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words, inWord = append(words, w.String()), false
				w.Reset()
			}
			continue
		case c == '#' && !inWord:
			return words, nil
		case c == '\\':
			if i+1 == len(line) {
				return nil, ErrTrailingBackslash
			}
			i++
			w.WriteByte(line[i])
		case c == '\'':
			end := strings.IndexByte(line[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("%w: no closing '", ErrUnterminatedQuote)
			}
			w.WriteString(line[i+1 : i+1+end])
			i += 1 + end // to the closing quote
		case c == '"':
			n, ok := doubleQuoted(line[i+1:], &w)
			if !ok {
				return nil, fmt.Errorf(`%w: no closing "`, ErrUnterminatedQuote)
			}
			i += n // to the closing quote
		default:
			w.WriteByte(c)
		}
		inWord = true
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}

// doubleQuoted writes the text of s up to its closing '"' to w and returns
// the number of bytes read, the quote included.
func doubleQuoted(s string, w *strings.Builder) (int, bool) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return i + 1, true
		case c == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\", s[i+1]) >= 0:
			i++
			w.WriteByte(s[i])
		default:
			w.WriteByte(c)
		}
	}
	return 0, false
}

// QuoteWords is the inverse of SplitWords: words joined by spaces, each
// quoted only when it needs to be.
func QuoteWords(words []string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = quoteWord(w)
	}
	return strings.Join(quoted, " ")
}

func quoteWord(w string) string {
	if w != "" && strings.Trim(w, safeChars) == "" {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}

// safeChars need no quotes anywhere in a word.
const safeChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-"
