package jsonl

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseRoundTrip(t *testing.T) {
	many := func(n, dupAt int) (in, out string) {
		var a, b []string
		for i := range n {
			a = append(a, `"k`+strconv.Itoa(i)+`":`+strconv.Itoa(i))
			v := i
			if i == dupAt {
				v = 999
			}
			b = append(b, `"k`+strconv.Itoa(i)+`":`+strconv.Itoa(v))
		}
		a = append(a, `"k`+strconv.Itoa(dupAt)+`":999`)
		return "{" + strings.Join(a, ",") + "}", "{" + strings.Join(b, ",") + "}"
	}
	manyIn, manyOut := many(50, 40)
	tests := []struct {
		name, in, want string
		keys           []string
	}{
		{"numbers kept as spelled", `{"a":1.0,"b":1e5,"c":-0,"d":12345678901234567890,"e":1E-07,"f":0.10}`,
			`{"a":1.0,"b":1e5,"c":-0,"d":12345678901234567890,"e":1E-07,"f":0.10}`, []string{"a", "b", "c", "d", "e", "f"}},
		{"unicode escapes kept", `{"s":"\u00e9\ud83d\ude00 \"q\" \\ \/ <b>&amp;","r":"é😀"}`,
			`{"s":"\u00e9\ud83d\ude00 \"q\" \\ \/ <b>&amp;","r":"é😀"}`, []string{"s", "r"}},
		{"nested whitespace verbatim, top level compacted", "  {\t\"z\" :\r\n { \"x\" : [ 1 , 2 ] } ,\n \"a\" : true }  ",
			`{"z":{ "x" : [ 1 , 2 ] },"a":true}`, []string{"z", "a"}},
		{"key order kept", `{"b":1,"a":2,"c":null}`, `{"b":1,"a":2,"c":null}`, []string{"b", "a", "c"}},
		{"empty", ` { } `, `{}`, []string{}},
		{"all types", `{"o":{},"a":[],"s":"","t":true,"f":false,"n":null}`,
			`{"o":{},"a":[],"s":"","t":true,"f":false,"n":null}`, []string{"o", "a", "s", "t", "f", "n"}},
		{"duplicate: first position, last value", `{"a":1,"b":2,"a":3}`, `{"a":3,"b":2}`, []string{"a", "b"}},
		{"duplicate via escaped key", `{"a":1,"b":2,"\u0061":3}`, `{"a":3,"b":2}`, []string{"a", "b"}},
		{"escaped key kept as written", `{"\u00e9t\u00e9":1,"x\"y":2}`, `{"\u00e9t\u00e9":1,"x\"y":2}`, []string{"été", `x"y`}},
		{"duplicate among many keys (map path)", manyIn, manyOut, nil},
		{"invalid utf-8 passes through", "{\"s\":\"a\xffb\"}", "{\"s\":\"a\xffb\"}", []string{"s"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Parse([]byte(tc.in))
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(r.AppendJSON(nil)))
			if tc.keys != nil {
				assert.Equal(t, tc.keys, r.Keys())
				assert.Equal(t, len(tc.keys), r.Len())
			}
			m, err := r.MarshalJSON()
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(m))
			// A second trip is the identity.
			r2, err := Parse(m)
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(r2.AppendJSON(nil)))
		})
	}
}

func TestParseCopiesInput(t *testing.T) {
	line := []byte(`{"a":"xyz"}`)
	r, err := Parse(line)
	require.NoError(t, err)
	copy(line, `{"a":"ABC"}`)
	assert.Equal(t, `{"a":"xyz"}`, string(r.AppendJSON(nil)))
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, msg string
		offset        int
	}{
		{"empty", ``, "empty line", 0},
		{"blank", "  \t", "empty line", 3},
		{"array", `[1]`, "not a JSON object (starts with '[')", 0},
		{"string", ` "x"`, "not a JSON object", 1},
		{"trailing garbage", `{"a":1} x`, "unexpected 'x' after the object", 8},
		{"two objects", `{"a":1}{"b":2}`, "after the object", 7},
		{"trailing comma", `{"a":1,}`, "want an object key", 7},
		{"unquoted key", `{a:1}`, "want an object key", 1},
		{"missing colon", `{"a" 1}`, "want ':'", 5},
		{"missing comma", `{"a":1 "b":2}`, "want ',' or '}'", 7},
		{"unclosed", `{"a":1`, "end of line", 6},
		{"leading zero", `{"a":01}`, "want ',' or '}'", 6},
		{"bare dot", `{"a":1.}`, "no digit after '.'", 5},
		{"leading dot", `{"a":.5}`, "want a value", 5},
		{"empty exponent", `{"a":1e}`, "no digit in exponent", 5},
		{"plus sign", `{"a":+1}`, "want a value", 5},
		{"lone minus", `{"a":-}`, "invalid number", 6},
		{"NaN", `{"a":NaN}`, "want a value", 5},
		{"bad literal", `{"a":tru}`, "want true", 5},
		{"control char", "{\"a\":\"x\ty\"}", "control character", 7},
		{"bad escape", `{"a":"\q"}`, `invalid escape \'q'`, 6},
		{"short unicode escape", `{"a":"\u12"}`, `invalid \u escape`, 6},
		{"unterminated string", `{"a":"abc`, "unterminated string", 5},
		{"unterminated key", `{"abc`, "unterminated string", 1},
		{"nested error", `{"a":{"b":[1,2,}]}}`, "want a value", 15},
		{"too deep", `{"a":` + strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth) + `}`, "nesting deeper", 5 + maxDepth - 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.in))
			require.Error(t, err)
			var se *SyntaxError
			require.True(t, errors.As(err, &se), "want *SyntaxError, got %T", err)
			assert.Contains(t, err.Error(), tc.msg)
			assert.True(t, strings.HasPrefix(err.Error(), "invalid JSON: "), err.Error())
			assert.Equal(t, tc.offset, se.Offset)
			// The scanner must agree with encoding/json on validity.
			assert.False(t, json.Valid([]byte(tc.in)) && strings.HasPrefix(strings.TrimSpace(tc.in), "{"),
				"encoding/json accepts %q", tc.in)
		})
	}
	t.Run("depth limit itself is accepted", func(t *testing.T) {
		d := maxDepth - 1 // the object counts as one level
		_, err := Parse([]byte(`{"a":` + strings.Repeat("[", d) + strings.Repeat("]", d) + `}`))
		assert.NoError(t, err)
	})
}

// TestScanAgreesWithEncodingJSON checks the hand-written validator against
// encoding/json on many small generated variations.
func TestScanAgreesWithEncodingJSON(t *testing.T) {
	atoms := []string{`0`, `-0`, `1.5e+3`, `01`, `1.`, `-`, `"a"`, `"\u00zz"`, `"\n"`, "\"\x01\"", `true`, `nul`,
		`[]`, `[1,]`, `{}`, `{"k":}`, `{"k":1}`, `[1 2]`, ` `, `,`, `:`, `"\ud800"`, `1e-0`, `.1`, `"é"`}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var sb strings.Builder
		sb.WriteString(`{"x":`)
		for range 1 + rng.IntN(3) {
			sb.WriteString(atoms[rng.IntN(len(atoms))])
		}
		sb.WriteString(`}`)
		in := sb.String()
		_, err := Parse([]byte(in))
		assert.Equal(t, json.Valid([]byte(in)), err == nil, "input %q: err %v", in, err)
	}
}

func TestSpecialMask(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	pick := []byte{'"', '\\', 0x00, 0x1f, 0x20, 'a', 0x7f, 0x80, 0xff, 0x21, 0x5b, 0x5d}
	var b [8]byte
	for range 100000 {
		for i := range b {
			if rng.IntN(2) == 0 {
				b[i] = pick[rng.IntN(len(pick))]
			} else {
				b[i] = byte(rng.UintN(256))
			}
		}
		want := 8
		for i, c := range b {
			if c == '"' || c == '\\' || c < 0x20 {
				want = i
				break
			}
		}
		m := specialMask(binary.LittleEndian.Uint64(b[:]))
		got := 8
		if m != 0 {
			got = 0
			for m&0x80 == 0 {
				m >>= 8
				got++
			}
		}
		require.Equal(t, want, got, "bytes % x", b)
	}
}

func mustParse(t *testing.T, s string) *Record {
	t.Helper()
	r, err := Parse([]byte(s))
	require.NoError(t, err)
	return r
}

func TestGetAndGetString(t *testing.T) {
	r := mustParse(t, `{"s":"plain","e":"tab\tq\"\u00e9\ud83d\ude00","n":12,"z":null,"o":{"a":1},"u":"a\u003cb"}`)
	tests := []struct {
		key    string
		want   string
		ok     bool
		errMsg string
	}{
		{"s", "plain", true, ""},
		{"e", "tab\tq\"é😀", true, ""},
		{"u", "a<b", true, ""},
		{"n", "", true, `field "n": want a string, got a number`},
		{"z", "", true, `field "z": want a string, got null`},
		{"o", "", true, `field "o": want a string, got an object`},
		{"missing", "", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			s, ok, err := r.GetString(tc.key)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.ok, r.Has(tc.key))
			if tc.errMsg != "" {
				assert.EqualError(t, err, tc.errMsg)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, s)
		})
	}
	raw, ok := r.Get("o")
	require.True(t, ok)
	assert.Equal(t, `{"a":1}`, string(raw))
	_, ok = r.Get("nope")
	assert.False(t, ok)
	// Invalid UTF-8 decodes the way encoding/json does.
	s, _, err := mustParse(t, "{\"b\":\"a\xffb\"}").GetString("b")
	require.NoError(t, err)
	assert.Equal(t, "a\uFFFDb", s)
}

func TestSetDeleteOrder(t *testing.T) {
	r := mustParse(t, `{"id":"x1","text":"hi","n":1}`)
	r.Set("text", json.RawMessage(` "bye" `)) // replaced in place, trimmed
	r.Set("score", json.RawMessage(`{"rep":0.5}`))
	require.NoError(t, r.SetValue("detect", map[string]any{"flag": true, "why": "<loop> & more"}))
	assert.Equal(t, `{"id":"x1","text":"bye","n":1,"score":{"rep":0.5},"detect":{"flag":true,"why":"<loop> & more"}}`,
		string(r.AppendJSON(nil)))

	assert.True(t, r.Delete("n"))
	assert.False(t, r.Delete("n"))
	assert.True(t, r.Delete("id"))
	assert.Equal(t, []string{"text", "score", "detect"}, r.Keys())
	r.Set("id", json.RawMessage(`7`))
	assert.Equal(t, `{"text":"bye","score":{"rep":0.5},"detect":{"flag":true,"why":"<loop> & more"},"id":7}`,
		string(r.AppendJSON(nil)))

	t.Run("keys needing escapes", func(t *testing.T) {
		r := NewRecord()
		r.Set(`a"b`, json.RawMessage(`1`))
		r.Set("tab\t", json.RawMessage(`2`))
		r.Set("<é>", json.RawMessage(`3`))
		assert.Equal(t, `{"a\"b":1,"tab\t":2,"<é>":3}`, string(r.AppendJSON(nil)))
		v, ok := r.Get(`a"b`)
		assert.True(t, ok)
		assert.Equal(t, "1", string(v))
		r.Set(`a"b`, json.RawMessage(`4`))
		assert.Equal(t, 3, r.Len())
		back := mustParse(t, string(r.AppendJSON(nil)))
		assert.Equal(t, []string{`a"b`, "tab\t", "<é>"}, back.Keys())
	})
	t.Run("zero value", func(t *testing.T) {
		var z Record
		assert.Equal(t, "{}", string(z.AppendJSON(nil)))
		z.Set("a", json.RawMessage("[]"))
		assert.Equal(t, `{"a":[]}`, string(z.AppendJSON(nil)))
	})
	t.Run("set panics on invalid raw", func(t *testing.T) {
		for _, bad := range []string{``, `{`, `1 2`, `nope`, `"a`} {
			assert.Panics(t, func() { NewRecord().Set("k", json.RawMessage(bad)) }, "raw %q", bad)
		}
	})
	t.Run("SetValue error", func(t *testing.T) {
		err := NewRecord().SetValue("c", make(chan int))
		assert.ErrorContains(t, err, `set "c": json: unsupported type`)
	})
}

func TestLookup(t *testing.T) {
	r := mustParse(t, `{"score":{ "seq_rep_4" : 0.25 ,"nested":{"x":[10, {"y":"deep"}]}},`+
		`"generation":{"token_ids":[1, 2,3],"text":"a.b"},"a.b":1,"dup":{"k":1,"k":2},"esc":{"\u00e9":"acc"},"n":5,`+
		`"tricky":{"s":"x]}\"{[ 12345678 \\","t":[ ["]"] , {"k":"}\\"}],"u":1}}`)
	tests := []struct {
		path, want string
		ok         bool
	}{
		{"score.seq_rep_4", "0.25", true},
		{"generation.token_ids", "[1, 2,3]", true},
		{"generation.token_ids.1", "2", true},
		{"generation.token_ids.3", "", false},
		{"generation.token_ids.01", "", false},
		{"generation.token_ids.-1", "", false},
		{"score.nested.x.1.y", `"deep"`, true},
		{"score.nested.x.0", "10", true},
		{"score", `{ "seq_rep_4" : 0.25 ,"nested":{"x":[10, {"y":"deep"}]}}`, true},
		{"score.missing", "", false},
		{"score.seq_rep_4.deeper", "", false},
		{"n.x", "", false},
		{"a.b", "", false}, // dotted keys are for Get
		{"dup.k", "2", true},
		{"esc.é", `"acc"`, true},
		{"missing.x", "", false},
		{"tricky.u", "1", true},
		{"tricky.t.0.0", `"]"`, true},
		{"tricky.t.1.k", `"}\\"`, true},
		{"tricky.s", `"x]}\"{[ 12345678 \\"`, true},
		{"", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			v, ok := r.Lookup(tc.path)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.want, string(v))
		})
	}
	s, ok, err := r.LookupString("score.nested.x.1.y")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "deep", s)
	_, ok, err = r.LookupString("score.seq_rep_4")
	assert.True(t, ok)
	assert.EqualError(t, err, `field "score.seq_rep_4": want a string, got a number`)
}

func TestClone(t *testing.T) {
	r := mustParse(t, `{"a":{"b":1},"\u0063":"x"}`)
	c := r.Clone()
	r.Set("a", json.RawMessage(`2`))
	r.Delete("c")
	assert.Equal(t, `{"a":2}`, string(r.AppendJSON(nil)))
	assert.Equal(t, `{"a":{"b":1},"\u0063":"x"}`, string(c.AppendJSON(nil)))
	assert.True(t, c.Has("c"))
	// Appending to a value taken from the clone must not corrupt its neighbours.
	v, _ := c.Get("a")
	_ = append(v, 'X')
	assert.Equal(t, `{"a":{"b":1},"\u0063":"x"}`, string(c.AppendJSON(nil)))
}

func TestRecordInsideStruct(t *testing.T) {
	type wrap struct {
		Meta *Record `json:"meta"`
	}
	var w wrap
	require.NoError(t, json.Unmarshal([]byte(`{"meta":{"b":1.50,"a":[ 1 ]}}`), &w))
	assert.Equal(t, []string{"b", "a"}, w.Meta.Keys())
	out, err := json.Marshal(w)
	require.NoError(t, err)
	assert.Equal(t, `{"meta":{"b":1.50,"a":[1]}}`, string(out))
}

func TestDecodeStringMatchesEncodingJSON(t *testing.T) {
	tests := []string{
		`""`, `"plain"`, `"tab\tnl\ncr\rq\"bs\\sl\/b\bf\f"`, `"\u00e9\u00E9"`, `"\ud83d\ude00"`,
		`"\ud83d"`, `"\ud83dx"`, `"\ude00\ud83d"`, `"\ud83d\u0041"`, `"\ud83d\ud83d\ude00"`,
		"\"a\xffb\"", "\"\xe2\x82\"", "\"\xed\xa0\x80\"", `"\u0000"`, "\"é😀\\n\"",
	}
	for _, raw := range tests {
		t.Run(raw, func(t *testing.T) {
			_, _, err := scanString([]byte(raw), 0)
			require.NoError(t, err)
			var want string
			require.NoError(t, json.Unmarshal([]byte(raw), &want))
			assert.Equal(t, want, decodeString([]byte(raw)))
		})
	}
}
