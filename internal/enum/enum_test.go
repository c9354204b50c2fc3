package enum

import "testing"

type color int

var colors = Names[color]{What: "color", Type: "color", Names: []string{"red", "green", "blue"}}

func TestNames(t *testing.T) {
	for i, name := range colors.Names {
		v, err := colors.Parse(name)
		if err != nil || v != color(i+1) || colors.String(v) != name {
			t.Errorf("%q: parsed %d, %v; spelled %q", name, v, err, colors.String(v))
		}
	}
	if _, err := colors.Parse("Red"); err == nil || err.Error() != `color "Red": want red, green or blue` {
		t.Errorf("Parse(Red) error %v", err)
	}
	if s := colors.String(0); s != "color(0)" {
		t.Errorf("String(0) = %q", s)
	}
	if s := colors.String(4); s != "color(4)" {
		t.Errorf("String(4) = %q", s)
	}
	two := Names[color]{What: "x", Names: []string{"a", "b"}}
	if _, err := two.Parse("c"); err == nil || err.Error() != `x "c": want a or b` {
		t.Errorf("two names: %v", err)
	}
}
