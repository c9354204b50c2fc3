package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestEscape(t *testing.T) {
	tests := []struct {
		give string
		want string
	}{
		{"serving 12 requests", "serving 12 requests"},
		{"", ""},
		{"evil\x1b[2Jtext", `evil\x1b[2Jtext`},
		{"a\tb\nc\rd\a\b\f\v", `a\tb\nc\rd\a\b\f\v`},
		{"nul\x00 del\x7f", `nul\x00 del\x7f`},
		{`C:\new`, `C:\\new`},                      // a backslash cannot forge an escape
		{"file\u202egpj.exe", `file\u202egpj.exe`}, // right-to-left override
		{"\u2066isolate\u2069 \u200bzero-width \ufeffbom", `\u2066isolate\u2069 \u200bzero-width \ufeffbom`},
		{"line\u2028sep\u2029para", `line\u2028sep\u2029para`},
		{"c1 \u0085\u009b", `c1 \u0085\u009b`},
		{"tag \U000e0041 private \ue000", `tag \U000e0041 private \ue000`},
		{"bad \xff\xfe utf-8", `bad \xff\xfe utf-8`},
		{"héllo wörld ✓ 日本語 🚀 \u00a0nbsp \ufffd", "héllo wörld ✓ 日本語 🚀 \u00a0nbsp \ufffd"},
		{"combining e\u0301", "combining e\u0301"},
	}
	for _, tt := range tests {
		if got := escape(tt.give); got != tt.want {
			t.Errorf("escape(%q) = %q, want %q", tt.give, got, tt.want)
		}
	}
}

// Every text from a worker is escaped wherever poolctl prints it; JSON
// keeps it as it is, and valid.
func TestWorkerTextIsEscapedEverywhere(t *testing.T) {
	const evil = "ok\u202e\x1b[31m\nfake line"
	const escaped = `ok\u202e\x1b[31m\nfake line`
	st := testStatus()
	st.Pool.Name, st.Pool.StatusText = "web\u202e", evil
	st.Workers[0].StatusText, st.Workers[0].State = evil, "ready\x1b[0m"

	var status bytes.Buffer
	if err := writeStatus(&status, st, view{now: testNow}); err != nil {
		t.Fatal(err)
	}
	var list bytes.Buffer
	if err := writeList(&list, []poolStatus{st}, ""); err != nil {
		t.Fatal(err)
	}
	top := strings.Join(renderTop(nextTop(topModel{}, st.Status, st.Bus, testNow, 0), topScreen{}), "\n")
	for name, out := range map[string]string{"status": status.String(), "list": list.String(), "top": top} {
		if strings.ContainsAny(out, "\u202e\x1b") || strings.Contains(out, "\nfake line") {
			t.Errorf("%s printed a control or format character:\n%q", name, out)
		}
		if name != "list" && !strings.Contains(out, escaped) {
			t.Errorf("%s lacks %s:\n%s", name, escaped, out)
		}
		if !strings.Contains(out, `web\u202e`) {
			t.Errorf("%s lacks the escaped pool name:\n%s", name, out)
		}
	}
	if want := `     Status: "` + escaped + `"`; !strings.Contains(status.String(), want) {
		t.Errorf("status lacks %q:\n%s", want, status.String())
	}

	var js bytes.Buffer
	if err := writeJSON(&js, []jsonStatus{toJSONStatus(st)}); err != nil {
		t.Fatal(err)
	}
	var back []jsonStatus
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatalf("JSON not valid: %v\n%s", err, js.String())
	}
	if back[0].Pool.StatusText != evil || back[0].Workers[0].StatusText != evil {
		t.Errorf("JSON changed the texts: %q, %q", back[0].Pool.StatusText, back[0].Workers[0].StatusText)
	}
	if bytes.IndexByte(js.Bytes(), 0x1b) >= 0 {
		t.Errorf("JSON holds a raw ESC:\n%s", js.String())
	}
}
