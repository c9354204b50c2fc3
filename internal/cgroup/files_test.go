package cgroup

import "testing"

func TestParseCPUMax(t *testing.T) {
	tests := []struct {
		give    string
		want    float64
		wantErr bool
	}{
		{give: "max 100000", want: 0},
		{give: "150000 100000", want: 1.5},
		{give: "50000 100000", want: 0.5},
		{give: "max", wantErr: true},
		{give: "lots 100000", wantErr: true},
		{give: "150000 0", wantErr: true},
		{give: "-1 100000", wantErr: true},
		{give: "150000 100000 7", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseCPUMax(tt.give)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseCPUMax(%q) = %v, %v; want %v, error %v", tt.give, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseMemory(t *testing.T) {
	tests := []struct {
		give    string
		want    int64
		wantErr bool
	}{
		{give: "max", want: 0},
		{give: "1073741824", want: 1 << 30},
		{give: "9223372036854771712", want: 0}, // v1 "unlimited", 4 KiB pages
		{give: "9223372036854710272", want: 0}, // v1 "unlimited", 64 KiB pages
		{give: "1G", wantErr: true},
		{give: "-1", wantErr: true},
		{give: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseMemory(tt.give)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseMemory(%q) = %v, %v; want %v, error %v", tt.give, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseMicros(t *testing.T) {
	tests := []struct {
		give    string
		want    int64
		wantErr bool
	}{
		{give: "-1", want: 0},
		{give: "100000", want: 100000},
		{give: "0", wantErr: true},
		{give: "-2", wantErr: true},
		{give: "max", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseMicros(tt.give)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseMicros(%q) = %v, %v; want %v, error %v", tt.give, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseStatus(t *testing.T) {
	tests := []struct {
		give    string
		want    int
		wantErr bool
	}{
		{give: "Name:\tx\nCpus_allowed:\tf\nCpus_allowed_list:\t0-3\n", want: 4},
		{give: "Name:\tx\n", want: 0},
		{give: "Cpus_allowed_list:\t3-0\n", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseStatus(tt.give)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseStatus(%q) = %v, %v; want %v, error %v", tt.give, got, err, tt.want, tt.wantErr)
		}
	}
}
