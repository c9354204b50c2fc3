package notify

import (
	"errors"
	"reflect"
	"testing"
)

// FuzzParse checks that Parse never panics, that whatever it reports
// re-encodes to a datagram that parses back to the same Message without
// error, and that every error it returns is a *ParseError.
func FuzzParse(f *testing.F) {
	for _, tt := range parseTests {
		f.Add([]byte(tt.give))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error %v (%T) holds no *ParseError", b, err, err)
			}
		}
		enc := m.Encode()
		m2, err := Parse([]byte(enc))
		if err != nil {
			t.Fatalf("Parse(Encode()) of %q: %v (encoded %q)", b, err, enc)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip of %q:\n got %+v\nwant %+v", b, m2, m)
		}
	})
}
