package dbusapi

import "testing"

func TestBusNameEscapesAndRoundTrips(t *testing.T) {
	cases := map[string]string{
		"express":   "org.poold.pool1.express",
		"my-app":    "org.poold.pool1.my_2dapp",
		"web.v2":    "org.poold.pool1.web_2ev2",
		"9lives":    "org.poold.pool1._39lives",
		"a_b":       "org.poold.pool1.a_5fb",
		"":          "org.poold.pool1._",
		"Mixed9Abc": "org.poold.pool1.Mixed9Abc",
	}
	for pool, want := range cases {
		got := BusName(pool)
		if got != want {
			t.Errorf("BusName(%q) = %q, want %q", pool, got, want)
		}
		back, ok := PoolName(got)
		if !ok || back != pool {
			t.Errorf("PoolName(%q) = %q, %v; want %q", got, back, ok, pool)
		}
	}
}

func TestPoolNameRejectsOtherNames(t *testing.T) {
	for _, name := range []string{
		"org.freedesktop.DBus", "org.poold.pool1", "org.poold.pool1.", "org.poold.pool2.x",
		"org.poold.pool1.a.b", "org.poold.pool1.bad_zz", "org.poold.pool1.cut_2", ":1.42",
	} {
		if pool, ok := PoolName(name); ok {
			t.Errorf("PoolName(%q) = %q, true; want false", name, pool)
		}
	}
}

func FuzzBusName(f *testing.F) {
	for _, s := range []string{"express", "my-app", "9", "a.b_c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pool string) {
		back, ok := PoolName(BusName(pool))
		if !ok || back != pool {
			t.Fatalf("round trip of %q gave %q, %v", pool, back, ok)
		}
	})
}
