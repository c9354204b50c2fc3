package listenspec

import (
	"strings"
	"testing"
)

var longName = strings.Repeat("n", 255) // the longest allowed

var parseListenTests = []struct {
	give    string
	want    Spec
	wantErr string
}{
	{give: "127.0.0.1:3000", want: Spec{"listen", "tcp", "127.0.0.1:3000"}},
	{give: "[::]:8080", want: Spec{"listen", "tcp", "[::]:8080"}},
	{give: "[::ffff:127.0.0.1]:80", want: Spec{"listen", "tcp", "[::ffff:127.0.0.1]:80"}},
	{give: ":3000", want: Spec{"listen", "tcp", ":3000"}},
	{give: ":0", want: Spec{"listen", "tcp", ":0"}},
	{give: "0.0.0.0:65535", want: Spec{"listen", "tcp", "0.0.0.0:65535"}},
	{give: "unix:/run/x.sock", want: Spec{"listen", "unix", "/run/x.sock"}},
	{give: "unix:@poold", want: Spec{"listen", "unix", "@poold"}},
	{give: "http=127.0.0.1:80", want: Spec{"http", "tcp", "127.0.0.1:80"}},
	{give: "a.b_c-9=[::1]:80", want: Spec{"a.b_c-9", "tcp", "[::1]:80"}},
	{give: "admin=unix:/run/a=b.sock", want: Spec{"admin", "unix", "/run/a=b.sock"}},
	{give: "unix:/run/a=b.sock", want: Spec{"listen", "unix", "/run/a=b.sock"}},
	{give: longName + "=:80", want: Spec{longName, "tcp", ":80"}},

	{give: "foo", wantErr: `--listen "foo": want HOST:PORT, [IPV6]:PORT, :PORT or unix:/PATH`},
	{give: "", wantErr: `--listen "": want HOST:PORT`},
	{give: "3000", wantErr: `--listen "3000": want HOST:PORT`},
	{give: "127.0.0.1:", wantErr: `port "": want HOST:PORT`},
	{give: "127.0.0.1:http", wantErr: `port "http": want HOST:PORT`},
	{give: "127.0.0.1:-1", wantErr: `port "-1"`},
	{give: "127.0.0.1:+80", wantErr: `port "+80"`},
	{give: "127.0.0.1:65536", wantErr: `--listen "127.0.0.1:65536": port 65536 out of range 0-65535`},
	{give: ":99999999999999999999", wantErr: "out of range 0-65535"},
	{give: "localhost:3000", wantErr: `host "localhost": want an IPv4 address or an [IPv6] one, not a name`},
	{give: "::1:80", wantErr: `host "::1": want an IPv4 address or an [IPv6] one`},
	{give: "[127.0.0.1]:80", wantErr: `host "[127.0.0.1]": want an IPv6 address in brackets`},
	{give: "[::1:80", wantErr: `host "[::1": want an IPv6 address in brackets`},
	{give: "[fe80::1%eth0]:80", wantErr: "IPv6 zones are not supported"},
	{give: "unix:", wantErr: `--listen "unix:": empty unix socket path`},
	{give: "unix:@", wantErr: "empty unix socket path"},
	{give: "unix:run/x.sock", wantErr: `unix socket path "run/x.sock": want an absolute path or @name`},
	{give: "unix:/" + strings.Repeat("x", 107), wantErr: "unix socket path longer than 107 bytes"},
	{give: "=127.0.0.1:80", wantErr: "empty name before '='"},
	{give: "a/b=127.0.0.1:80", wantErr: `name "a/b": want letters, digits, '_', '-' or '.'`},
	{give: "é=127.0.0.1:80", wantErr: `name "é"`},
	{give: "x" + longName + "=:80", wantErr: "name longer than 255 bytes"},
	{give: "http=foo", wantErr: `--listen "http=foo": want HOST:PORT`},
}

func TestParse(t *testing.T) {
	for _, tt := range parseListenTests {
		t.Run(tt.give, func(t *testing.T) {
			got, err := Parse(tt.give)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse(%q) = %+v, %v; want error containing %q", tt.give, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Parse(%q) = %+v, %v; want %+v", tt.give, got, err, tt.want)
			}
			// String gives the --listen form back.
			again, err := Parse(got.String())
			if err != nil || again != got {
				t.Errorf("Parse(%q) = %+v, %v; want %+v", got.String(), again, err, got)
			}
		})
	}
}

func TestSpecString(t *testing.T) {
	tests := []struct {
		give Spec
		want string
	}{
		{Spec{"http", "tcp", "127.0.0.1:80"}, "http=127.0.0.1:80"},
		{Spec{"", "tcp", ":80"}, "listen=:80"},
		{Spec{"admin", "unix", "/run/a.sock"}, "admin=unix:/run/a.sock"},
	}
	for _, tt := range tests {
		if got := tt.give.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.give, got, tt.want)
		}
	}
}
