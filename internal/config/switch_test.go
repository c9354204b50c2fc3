package config

import (
	"io"
	"strings"
	"testing"
)

func TestUpgradeOnInstall(t *testing.T) {
	tests := []struct {
		give    []string
		file    string // the config file's lines, when there is one
		want    bool
		wantErr string
	}{
		{give: nil, want: true},
		{give: []string{"--upgrade-on-install=false"}, want: false},
		{give: []string{"--upgrade-on-install"}, want: true},
		{file: "upgrade-on-install = false\n", want: false},
		{file: "upgrade-on-install = off\n", want: false},
		{file: "upgrade-on-install = yes\n", want: true},
		// The command line wins over the file.
		{give: []string{"--upgrade-on-install=true"}, file: "upgrade-on-install = off\n", want: true},
		{file: "upgrade-on-install = later\n",
			wantErr: `/etc/poold/myapp.conf:1: invalid value "later" for upgrade-on-install: want true or false (on or off)`},
		{give: []string{"--upgrade-on-install=later"}, wantErr: "want true or false"},
	}
	for _, tt := range tests {
		args := tt.give
		if tt.file != "" {
			args = append(args, "--config", "/etc/poold/myapp.conf")
		}
		c, err := parse(append(args, "--", "node", "app.js"), env(), io.Discard, func(string) ([]byte, error) {
			return []byte(tt.file), nil
		})
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q with file %q: error %v, want %q", tt.give, tt.file, err, tt.wantErr)
			}
			continue
		}
		if err != nil || c.UpgradeOnInstall != tt.want {
			t.Errorf("%q with file %q: UpgradeOnInstall = %v, %v; want %v", tt.give, tt.file, c.UpgradeOnInstall, err, tt.want)
		}
	}
}
