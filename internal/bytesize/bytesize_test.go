package bytesize

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		give    string
		want    int64
		wantErr string // substring; "" = no error
	}{
		{give: "1048576", want: 1048576},
		{give: "0", want: 0},
		{give: "512M", want: 512 << 20},
		{give: "512MiB", want: 512 << 20},
		{give: "512mib", want: 512 << 20},
		{give: "1G", want: 1 << 30},
		{give: "1.5GiB", want: 1536 << 20},
		{give: " 2 GiB ", want: 2 << 30},
		{give: "4K", want: 4096},
		{give: "1T", want: 1 << 40},
		{give: "100B", want: 100},
		{give: ".5K", want: 512},
		{give: "", wantErr: "want bytes or a number with K, M, G or T"},
		{give: "abc", wantErr: "want bytes or a number"},
		{give: "-1", wantErr: "want bytes or a number"},
		{give: "512MB", wantErr: "want bytes or a number"},
		{give: "1e3", wantErr: "want bytes or a number"},
		{give: "1.2.3G", wantErr: "want bytes or a number"},
		{give: "1,5G", wantErr: "want bytes or a number"},
		{give: "G", wantErr: "want bytes or a number"},
		{give: "0x10", wantErr: "want bytes or a number"},
		{give: "inf", wantErr: "want bytes or a number"},
		{give: "1.5", wantErr: "fractional bytes"},
		{give: "9223372036854775807K", wantErr: "too large"},
		{give: "99999999999999999999", wantErr: "too large"},
		{give: "9999999999.5T", wantErr: "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got, err := Parse(tt.give)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse(%q) = %d, %v; want error containing %q", tt.give, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Parse(%q) = %d, %v; want %d", tt.give, got, err, tt.want)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		give int64
		want string
	}{
		{0, "0 B"},
		{512, "512 B"},
		{1024, "1 KiB"},
		{1536, "1.5 KiB"},
		{256 << 20, "256 MiB"},
		{1 << 30, "1 GiB"},
		{1536 << 20, "1.5 GiB"},
		{1<<30 + 1, "1.0 GiB"},
		{1 << 40, "1024 GiB"},
	}
	for _, tt := range tests {
		if got := Format(tt.give); got != tt.want {
			t.Errorf("Format(%d) = %q, want %q", tt.give, got, tt.want)
		}
	}
}
