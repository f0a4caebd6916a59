package jsonl

import "testing"

func TestPathLookupAndSet(t *testing.T) {
	line := `{"custom_id":"a","response":{"body":{"choices":[{"message":{"role":"assistant","content":"old"}}]}},"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"loop loop"}]}`
	r, err := Parse([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"response.body.choices[0].message.content": "old",
		"response.body.choices.0.message.content":  "old",
		"messages[-1].content":                     "loop loop",
		"messages[-2].content":                     "hi",
		"messages[1].role":                         "assistant",
	} {
		got, ok, err := r.LookupString(path)
		if err != nil || !ok || got != want {
			t.Errorf("%s: got %q %v %v, want %q", path, got, ok, err, want)
		}
	}
	for _, path := range []string{"messages[2].content", "messages[-3].content", "response.body.choices[0].nope", "messages[x]", "a..b", "[0]"} {
		if _, ok := r.Lookup(path); ok {
			t.Errorf("%s: found", path)
		}
	}
	if err := r.SetPathValue("messages[-1].content", "fixed"); err != nil {
		t.Fatal(err)
	}
	if err := r.SetPathValue("response.body.choices[0].message.extra", 1); err != nil {
		t.Fatal(err)
	}
	want := `{"custom_id":"a","response":{"body":{"choices":[{"message":{"role":"assistant","content":"old","extra":1}}]}},"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"fixed"}]}`
	if got := string(r.AppendJSON(nil)); got != want {
		t.Errorf("after SetPath:\n got %s\nwant %s", got, want)
	}
	if err := r.SetPathValue("nothere.x", 1); err == nil {
		t.Error("SetPath on a missing container: no error")
	}
	if err := ParsePath("a[1"); err == nil {
		t.Error("ParsePath(a[1): no error")
	}
}

func TestDeletePath(t *testing.T) {
	r, err := Parse([]byte(`{"text":"x","generation":{"token_ids":[1,2],"params":{"seed":1}},"score":{"a":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !r.DeletePath("generation.token_ids") || !r.DeletePath("score") || r.DeletePath("generation.nope") {
		t.Fatal("DeletePath results wrong")
	}
	if got, want := string(r.AppendJSON(nil)), `{"text":"x","generation":{"params":{"seed":1}}}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
