package textseg

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSplit(t *testing.T) {
	cases := []struct {
		name string
		text string
		mode Mode
		want []string
	}{
		{"empty", "", Words, []string{}},
		{"spaces only", " \t\n ", Words, []string{}},
		{"english", " the cat,  sat\n", Words, []string{"the", "cat,", "sat"}},
		{"chinese", "这是一个杯子，这是", Words, []string{"这", "是", "一", "个", "杯", "子", "，", "这", "是"}},
		{"mixed", "GPU很快ok", Words, []string{"GPU", "很", "快", "ok"}},
		{"kana and hangul", "すし 한국어", Words, []string{"す", "し", "한", "국", "어"}},
		{"chars", "ab c", Chars, []string{"a", "b", "c"}},
		{"german umlaut stays a word", "Steckdose über", Words, []string{"Steckdose", "über"}},
		// CJK punctuation is not a letter: it stays with the word it
		// touches, as ASCII punctuation does, and stands alone only
		// between two CJK letters.
		{"latin quoting with CJK brackets", "he said 「ok」。 then", Words, []string{"he", "said", "「ok」。", "then"}},
		{"ascii and CJK punctuation alike", "\"ok\". 「ok」。", Words, []string{"\"ok\".", "「ok」。"}},
		{"chinese quote", "他说：「好。」我", Words, []string{"他", "说", "：「", "好", "。」", "我"}},
		{"chinese comma before latin", "GPU很快，ok？", Words, []string{"GPU", "很", "快", "，ok？"}},
		{"katakana with prolonged mark", "コーヒー ok", Words, []string{"コ", "ー", "ヒ", "ー", "ok"}},
		{"hangul and latin", "서울은 big city。", Words, []string{"서", "울", "은", "big", "city。"}},
		{"fullwidth latin is a word", "ＡＢＣ！ ok", Words, []string{"ＡＢＣ！", "ok"}},
		{"ideographic space separates", "a\u3000b", Words, []string{"a", "b"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, Strings(c.text, c.mode))
		})
	}
}

func TestOffsets(t *testing.T) {
	text := "ab 杯子 cd"
	toks := Split(nil, text, Words)
	var got []string
	for _, tok := range toks {
		got = append(got, tok.Text)
	}
	assert.Equal(t, []string{"ab", "杯", "子", "cd"}, got)
	assert.Equal(t, []int{0, 3, 6, 10}, []int{toks[0].Start, toks[1].Start, toks[2].Start, toks[3].Start})
	assert.Equal(t, []int{2, 6, 9, 12}, []int{toks[0].End, toks[1].End, toks[2].End, toks[3].End})
}
