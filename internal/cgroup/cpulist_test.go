package cgroup

import (
	"strings"
	"testing"
)

func TestParseCPUList(t *testing.T) {
	tests := []struct {
		give    string
		want    int
		wantErr bool
	}{
		{give: "0-3,6", want: 5},
		{give: "0", want: 1},
		{give: "", want: 0},
		{give: " 0-7\n", want: 8},
		{give: "0-1,4-5", want: 4},
		{give: "0-3,2-5", want: 6},
		{give: "5,5", want: 1},
		{give: "6,0-3", want: 5},
		{give: "x", wantErr: true},
		{give: "3-1", wantErr: true},
		{give: "0-", wantErr: true},
		{give: "-1", wantErr: true},
		{give: "+1", wantErr: true},
		{give: "0,,1", wantErr: true},
		{give: "1-2-3", wantErr: true},
		{give: "0 - 3", wantErr: true},
		{give: "0-99999999", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got, err := ParseCPUList(tt.give)
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), `as in "0-3,6"`) {
					t.Fatalf("ParseCPUList(%q) = %d, %v; want a format error", tt.give, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseCPUList(%q) = %d, %v; want %d", tt.give, got, err, tt.want)
			}
		})
	}
}
