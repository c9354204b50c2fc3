package testbound

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		give    string
		want    float64
		wantErr bool
	}{
		{give: "", want: 1},
		{give: "1", want: 1},
		{give: "3", want: 3},
		{give: "2.5", want: 2.5},
		{give: "0.5", wantErr: true},
		{give: "0", wantErr: true},
		{give: "-2", wantErr: true},
		{give: "NaN", wantErr: true},
		{give: "Inf", wantErr: true},
		{give: "two", wantErr: true},
	} {
		got, err := parse(tt.give)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parse(%q) = %v, %v; want %v, error %v", tt.give, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestScale(t *testing.T) {
	t.Setenv(Env, "")
	if got := Scale(20 * time.Second); got != 20*time.Second {
		t.Errorf("unset: Scale(20s) = %v, want 20s", got)
	}
	t.Setenv(Env, "2.5")
	if got := Scale(20 * time.Second); got != 50*time.Second {
		t.Errorf("%s=2.5: Scale(20s) = %v, want 50s", Env, got)
	}
}

func TestABadFactorPanicsNamingTheVariable(t *testing.T) {
	t.Setenv(Env, "fast")
	defer func() {
		err, _ := recover().(error)
		if err == nil || !strings.Contains(err.Error(), Env) {
			t.Errorf("recovered %v, want an error naming %s", err, Env)
		}
	}()
	Scale(time.Second)
}
