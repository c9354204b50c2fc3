package controlbus

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/poold/poold/dbusapi"
	"github.com/poold/poold/internal/bustest"
	"github.com/poold/poold/internal/testbound"
)

func TestServeFallsBackOnlyFromARefusingSystemBusInAuto(t *testing.T) {
	system := bustest.StartSystemBus(t)
	session := bustest.StartSessionBus(t)
	refused := errors.New("refused")
	taken := fmt.Errorf("start: %w", dbusapi.ErrNameTaken)
	for _, tt := range []struct {
		name    string
		mode    string
		systemd bool
		refuse  error           // what serve returns on a shared bus
		want    dbusapi.BusKind // 0: an error
	}{
		{"system refuses", "auto", true, refused, dbusapi.BusPrivate},
		{"system has a namesake", "auto", true, taken, 0},
		{"system asked for", "system", true, refused, 0},
		{"session refuses", "auto", false, refused, 0},
		{"system serves", "auto", true, nil, dbusapi.BusSystem},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			var served []dbusapi.BusKind
			ctx, cancel := context.WithTimeout(context.Background(), testbound.Scale(30*time.Second))
			defer cancel()
			c, err := Serve(ctx, Options{
				Mode: tt.mode, UnderSystemd: tt.systemd, RuntimeDir: runtimeDir(t),
				Getenv: env("DBUS_SYSTEM_BUS_ADDRESS", system, "DBUS_SESSION_BUS_ADDRESS", session),
				Log:    slog.New(slog.NewTextHandler(&logs, nil)),
			}, func(c *Conn) error {
				served = append(served, c.Kind)
				if c.Kind == dbusapi.BusPrivate {
					return nil
				}
				return tt.refuse
			})
			if tt.want == 0 {
				if err == nil || c != nil {
					t.Fatalf("Serve = %v, %v; want an error", c, err)
				}
				if len(served) != 1 {
					t.Errorf("served on %v; want one bus, no fallback", served)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if c.Kind != tt.want || served[len(served)-1] != tt.want {
				t.Errorf("Kind = %v after serving on %v, want %v", c.Kind, served, tt.want)
			}
			if warned := strings.Contains(logs.String(), "cannot serve on the system bus"); warned != (len(served) > 1) {
				t.Errorf("fallback warning = %v after serving on %v: %s", warned, served, logs.String())
			}
		})
	}
}
