package config

import (
	"errors"
	"reflect"
	"testing"
)

func TestSplitWords(t *testing.T) {
	tests := []struct {
		give    string
		want    []string
		wantErr error
	}{
		{"", nil, nil},
		{"  node   server.js\t--port 3000 ", []string{"node", "server.js", "--port", "3000"}, nil},
		{`node 'my app.js'`, []string{"node", "my app.js"}, nil},
		{`sh -c 'exec node "$APP"'`, []string{"sh", "-c", `exec node "$APP"`}, nil},
		{`echo "a \"b\" \\ \$HOME \n"`, []string{"echo", `a "b" \ $HOME \n`}, nil},
		{`a\ b c\'d \#e`, []string{"a b", "c'd", "#e"}, nil},
		{`x"y"'z' "" ''`, []string{"xyz", "", ""}, nil},
		{`node app.js # the app`, []string{"node", "app.js"}, nil},
		{`node --color=#fff`, []string{"node", "--color=#fff"}, nil},
		{`$HOME ~/app *.js`, []string{"$HOME", "~/app", "*.js"}, nil},
		{`node 'app.js`, nil, ErrUnterminatedQuote},
		{`node "app.js`, nil, ErrUnterminatedQuote},
		{`node "app.js\"`, nil, ErrUnterminatedQuote},
		{`node app.js \`, nil, ErrTrailingBackslash},
	}
	for _, tt := range tests {
		got, err := SplitWords(tt.give)
		if !errors.Is(err, tt.wantErr) || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SplitWords(%q) = %q, %v; want %q, %v", tt.give, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestQuoteWordsRoundTrip(t *testing.T) {
	tests := []struct {
		give []string
		want string
	}{
		{[]string{"node", "/srv/app/server.js", "--port=3000"}, "node /srv/app/server.js --port=3000"},
		{[]string{"sh", "-c", "exec node \"$APP\" # x"}, `sh -c 'exec node "$APP" # x'`},
		{[]string{"it's", "", "#x", "~", "a\\b"}, `'it'\''s' '' '#x' '~' 'a\b'`},
	}
	for _, tt := range tests {
		got := QuoteWords(tt.give)
		if got != tt.want {
			t.Errorf("QuoteWords(%q) = %s, want %s", tt.give, got, tt.want)
		}
		back, err := SplitWords(got)
		if err != nil || !reflect.DeepEqual(back, tt.give) {
			t.Errorf("SplitWords(QuoteWords(%q)) = %q, %v", tt.give, back, err)
		}
	}
}
