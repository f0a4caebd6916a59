package detect

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rep returns n copies of s joined by sep.
func rep(s, sep string, n int) string {
	return strings.TrimSuffix(strings.Repeat(s+sep, n), sep)
}

const (
	enBase = "The old lighthouse keeper climbed the stairs every evening and watched the ships pass. "
	deBase = "Am Abend gingen wir langsam durch die Altstadt und sprachen über das Leben. "
	zhBase = "傍晚的时候，我们沿着河边慢慢地走着，谈论着过去的事情。"

	enPara = "The harbour was quiet that morning, and the fishermen mended their nets in silence while the gulls circled above the grey water and waited for scraps that never came, because the catch had been poor all week and nobody spoke of it."
	dePara = "Der Zug hatte wieder Verspätung, und auf dem Bahnsteig standen die Pendler dicht gedrängt im Regen, jeder mit seinem Telefon beschäftigt, während die Durchsagen immer neue Gründe für die Störung nannten und niemand mehr zuhörte."
	zhPara = "那天早上港口很安静，渔民们默默地修补着渔网，海鸥在灰色的海面上盘旋，等待着永远不会到来的食物，因为整个星期的收获都很差，没有人愿意提起这件事。"
)

func TestDetectLoops(t *testing.T) {
	cases := []struct {
		name      string
		text      string
		reason    string
		period    int     // expected loop period in tokens
		unit      string  // expected first copy
		minCopies float64 // at least this many copies
	}{
		{"en word", enBase + rep("ships", " ", 12), ReasonTailLoop, 1, "ships", 12},
		{"en word comma, cut last copy", enBase + rep("ships", ", ", 10) + ", shi", ReasonTailLoop, 1, "ships", 10},
		{"en phrase cut", enBase + rep("every evening and", " ", 7) + " every eve", ReasonTailLoop, 3, "every evening and", 7.5},
		{"en phrase dashes", enBase + rep("watched the ships", " - ", 6), ReasonTailLoop, 3, "watched the ships", 6},
		{"en sentence cut", enBase + rep("He climbed the stairs again.", " ", 3) + " He climbed", ReasonTailLoop, 5, "He climbed the stairs again.", 3.4},
		{"en sentence lines", enBase + "\n" + rep("The ships passed by the lighthouse at night.", "\n", 4), ReasonTailLoop, 8, "The ships passed by the lighthouse at night.", 4},
		{"en paragraph cut", enBase + rep(enPara, "\n\n", 3) + "\n\nThe harbour was quiet", ReasonTailLoop, len(strings.Fields(enPara)), enPara, 3},
		{"de word", deBase + rep("Leben", " ", 9), ReasonTailLoop, 1, "Leben", 9},
		{"de phrase", deBase + rep("durch die Altstadt", "... ", 6) + "... durch", ReasonTailLoop, 3, "durch die Altstadt", 6.3},
		{"de sentence", deBase + rep("Wir sprachen über das Leben.", " ", 3), ReasonTailLoop, 5, "Wir sprachen über das Leben.", 3},
		{"de paragraph", deBase + rep(dePara, "\n", 3) + "\nDer Zug hatte", ReasonTailLoop, 0, "", 3},
		{"zh word", zhBase + rep("插座", "", 10), ReasonTailLoop, 2, "插座", 10},
		{"zh word comma", zhBase + rep("河边", "，", 9) + "，河", ReasonTailLoop, 2, "河边", 9.5},
		{"zh phrase", zhBase + rep("慢慢地走着", "", 6), ReasonTailLoop, 5, "慢慢地走着", 6},
		{"zh clause", zhBase + rep("这是一个杯子", "，", 3), ReasonTailLoop, 6, "这是一个杯子", 3},
		// The base text ends in the same clause, so the loop starts there;
		// the block is rotated to begin after the sentence end.
		{"zh sentence cut", zhBase + rep("我们谈论着过去的事情。", "", 3) + "我们谈", ReasonTailLoop, 10, "我们谈论着过去的事情", 3.3},
		{"zh paragraph", zhBase + rep(zhPara, "\n", 3) + "\n那天早上", ReasonTailLoop, 0, "", 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := Detect(c.text, nil, DefaultOptions())
			require.True(t, res.Degenerate, "signals %+v", res.Signals)
			assert.Contains(t, res.Reasons, c.reason)
			require.NotNil(t, res.Loop)
			l := res.Loop
			if c.period > 0 {
				assert.Equal(t, c.period, l.Period)
			}
			if c.unit != "" {
				assert.Equal(t, NormalizeSegment(c.unit), NormalizeSegment(l.Unit))
			}
			assert.GreaterOrEqual(t, l.Copies, c.minCopies)
			// Offsets agree with each other and with the unit.
			require.GreaterOrEqual(t, l.StartByte, 0)
			assert.Equal(t, utf8.RuneCountInString(c.text[:l.StartByte]), l.StartChar)
			assert.True(t, strings.HasPrefix(c.text[l.StartByte:], l.Unit))
		})
	}
}

func TestDetectNearLoops(t *testing.T) {
	s := "The ships passed by the old lighthouse at night"
	cases := []struct {
		name string
		text string
	}{
		{"en counter", enBase + "Day 3: " + s + ". Day 4: " + s + ". Day 5: " + s + ". Day 6: " + s + "."},
		{"zh counter", zhBase + "第1天：我们沿着河边慢慢地走着。第2天：我们沿着河边慢慢地走着。第3天：我们沿着河边慢慢地走着。第4天：我们沿着河边慢慢地走着。"},
		{"en variation", enBase + s + ". Then " + s + ". " + s + " again. " + s + "! " + s + ". Then " + s + "."},
		{"de variation", deBase + "Wir gingen durch die Altstadt. Dann wir gingen durch die Altstadt. Also wir gingen durch die Altstadt. Wir gingen durch die Altstadt! Dann wir gingen durch die Altstadt. Wir gingen durch die Altstadt."},
		{"en substitute", enBase + "He had pretended that he would be silly.\nHe had powerful that he would be silly.\nHe had pretended that he would be silly.\nHe had evening that he would be silly.\nHe had pretended that he would be silly.\nHe had ships that he would be silly."},
		{"zh variation", zhBase + "我们沿着河边慢慢地走着。我们沿着河边慢慢地走着啊。后来，我们沿着河边慢慢地走着。我们沿着河边慢慢地走着。我们沿着河边慢慢地走着啊。我们沿着河边慢慢地走着。"},
		// Every copy differs, but eight of them are past any poem's parallelism.
		{"zh many varied copies", zhBase + "我们沿着河边慢慢地走着。我们沿着河边慢慢地走着啊。后来，我们沿着河边慢慢地走着。我们沿着河边慢慢地走着吧。我们沿着河边慢慢地走着呢。我们沿着河边慢慢地走着了。然后我们沿着河边慢慢地走着。我们沿着河边慢慢地走着！我们沿着河边慢慢地走着哦。"},
		{"en alternate", enBase + rep("Peanuts are not really nuts. A firefly is not a fly, but a beetle.", " ", 3)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := Detect(c.text, nil, DefaultOptions())
			assert.True(t, res.Degenerate, "signals %+v", res.Signals)
			assert.NotNil(t, res.Loop)
		})
	}
	// Counters and variations are near loops, not exact ones.
	res := Detect(cases[0].text, nil, DefaultOptions())
	assert.Equal(t, []string{ReasonNearLoop}, res.Reasons)
	res = Detect(cases[2].text, nil, DefaultOptions())
	assert.Contains(t, res.Reasons, ReasonNearLoop)
	assert.NotContains(t, res.Reasons, ReasonTailLoop)
}

func TestDetectHardNegatives(t *testing.T) {
	cases := []struct {
		name string
		text string
	}{
		{"go code", `// Close flushes and closes every writer, returning the first error.
func (m *Multi) Close() error {
	var first error
	for _, w := range m.writers {
		if err := w.Flush(); err != nil {
			if first == nil {
				first = err
			}
		}
		if err := w.Close(); err != nil {
			if first == nil {
				first = err
			}
		}
	}
	if m.log != nil {
		if err := m.log.Close(); err != nil {
			if first == nil {
				first = err
			}
		}
	}
	return first
}`},
		{"json array", `[
  {"alpha_2": "DE", "name": "Germany", "numeric": "276"},
  {"alpha_2": "DK", "name": "Denmark", "numeric": "208"},
  {"alpha_2": "DJ", "name": "Djibouti", "numeric": "262"},
  {"alpha_2": "DM", "name": "Dominica", "numeric": "212"},
  {"alpha_2": "DO", "name": "Dominican Republic", "numeric": "214"},
  {"alpha_2": "DZ", "name": "Algeria", "numeric": "012"},
  {"alpha_2": "EC", "name": "Ecuador", "numeric": "218"},
  {"alpha_2": "EE", "name": "Estonia", "numeric": "233"}
]`},
		{"markdown table", "| Code | Name | Type |\n| --- | --- | --- |\n" +
			"| AT-1 | Burgenland | State |\n| AT-2 | Kärnten | State |\n| AT-3 | Niederösterreich | State |\n" +
			"| AT-4 | Oberösterreich | State |\n| AT-5 | Salzburg | State |\n| AT-6 | Steiermark | State |\n" +
			"| AT-7 | Tirol | State |\n| AT-8 | Vorarlberg | State |\n| AT-9 | Wien | State |"},
		{"numbered list", "Things to pack:\n1. A warm coat for the evenings.\n2. Two pairs of walking shoes.\n3. The old map of the harbour.\n4. A flask of strong coffee.\n5. Something to read on the train.\n6. Spare batteries for the torch."},
		{"song with chorus twice", "Verse 1:\nThe road runs down to the river\nWhere the willows bend and sway\n\nChorus:\nSing it loud and sing it slow\nLet the evening carry it home\nThe river knows the way to go\n\nVerse 2:\nThe lamps are lit in the village\nAnd the bells ring out the day\n\nChorus:\nSing it loud and sing it slow\nLet the evening carry it home\nThe river knows the way to go"},
		{"poem with refrain", "Row the boat across the bay,\nrow the boat, the light is grey.\nOver water, over stone,\nrow the boat and row alone.\nRow the boat across the bay,\nrow until the end of day."},
		// Six parallel lines, each changing one word: near-copies, all distinct.
		{"zh poem parallel lines", "《芣苢》\n采采芣苢，薄言采之。采采芣苢，薄言有之。\n采采芣苢，薄言掇之。采采芣苢，薄言捋之。\n采采芣苢，薄言袺之。采采芣苢，薄言襭之。"},
		{"zh poem", "《春望》\n国破山河在，城春草木深。\n感时花溅泪，恨别鸟惊心。\n烽火连三月，家书抵万金。\n白头搔更短，浑欲不胜簪。"},
		{"legal", "Permission is hereby granted, free of charge, to any person obtaining a copy of this software, to deal in the Software without restriction, including without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is furnished to do so, subject to the following conditions: The above copyright notice and this permission notice shall be included in all copies or substantial portions of the Software. THE SOFTWARE IS PROVIDED AS IS, WITHOUT WARRANTY OF ANY KIND."},
		{"ha ha ha in prose", "He read the letter twice, ha ha ha, and then folded it into his pocket without a word."},
		{"interjection five copies", "A woman, go go go go go, should conceal it as well as she can."},
		{"nein nein nein", "Wenn man das Alltägliche redlich tut, nein, nein, nein, nein, regelt sich vieles von selbst."},
		{"zh haha", "从前的愚民政策是不许人民受教育，现代愚民政策是只许人民受某一种教育。哈哈哈哈！不受教育的人，因为不识字，上人的当。"},
		{"short", "Yes."},
		{"empty", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := Detect(c.text, nil, DefaultOptions())
			assert.False(t, res.Degenerate, "reasons %v signals %+v", res.Reasons, res.Signals)
			assert.Nil(t, res.Loop)
			assert.NotNil(t, res.Reasons)
		})
	}
}

func TestDetectRulesSeparately(t *testing.T) {
	opt := DefaultOptions()
	t.Run("repeated sentence in the middle", func(t *testing.T) {
		text := enBase + rep("The ships passed the harbour wall.", " ", 3) + " Then the night fell over the town and everyone went home."
		res := Detect(text, nil, opt)
		assert.Equal(t, []string{ReasonRepeatedSentence}, res.Reasons)
		assert.Equal(t, 3, res.Signals.MaxSegmentRun)
		assert.Nil(t, res.Loop)
	})
	t.Run("escaped phrase loop", func(t *testing.T) {
		text := enBase + rep("the ships", " ", 12) + " and then the keeper finally went down to sleep in his small room."
		res := Detect(text, nil, opt)
		assert.Contains(t, res.Reasons, ReasonRepeatedPhrase)
		assert.NotContains(t, res.Reasons, ReasonTailLoop)
		assert.Equal(t, 2, res.Signals.MaxRunPeriod)
		assert.InDelta(t, 12, res.Signals.MaxRunCopies, 1e-9)
	})
	t.Run("low entropy", func(t *testing.T) {
		// Three words shuffled deterministically: no exact loop, little information.
		words := []string{"yes", "no", "maybe"}
		var b strings.Builder
		x := uint32(7)
		for range 100 {
			x = x*1664525 + 1013904223
			b.WriteString(words[(x>>16)%3] + " ")
		}
		res := Detect(b.String(), nil, opt)
		assert.Contains(t, res.Reasons, ReasonLowEntropy)
		assert.Less(t, res.Signals.UnigramEntropy, 1.6)
	})
	t.Run("copies below the rule", func(t *testing.T) {
		// Four copies of a 3-word phrase: the rule wants five.
		res := Detect(enBase+rep("the ships passed", " ", 4), nil, opt)
		assert.False(t, res.Degenerate)
		assert.Equal(t, 3, res.Signals.TailPeriod)
		assert.InDelta(t, 4, res.Signals.TailCopies, 1e-9)
		res = Detect(enBase+rep("the ships passed", " ", 5), nil, opt)
		assert.True(t, res.Degenerate)
	})
	t.Run("40-token paragraph four times", func(t *testing.T) {
		res := Detect(rep(strings.Join(strings.Fields(enPara)[:40], " "), " ", 4), nil, opt)
		assert.Contains(t, res.Reasons, ReasonTailLoop)
		assert.Equal(t, 40, res.Loop.Period)
		assert.InDelta(t, 4, res.Loop.Copies, 1e-9)
	})
}

func TestDetectTokenIDs(t *testing.T) {
	ids := []int{1, 450, 2030, 338}
	for range 6 {
		ids = append(ids, 29871, 3118, 7099)
	}
	res := Detect("", ids, DefaultOptions())
	assert.Equal(t, "ids", res.Signals.TokenSource)
	assert.Equal(t, len(ids), res.Signals.Tokens)
	require.NotNil(t, res.Loop)
	assert.Equal(t, 3, res.Loop.Period)
	assert.Equal(t, 4, res.Loop.StartToken)
	assert.Equal(t, -1, res.Loop.StartChar)
	assert.Equal(t, 15, res.Signals.LongestRepeatedSuffix)

	clean := []int{1, 450, 2030, 338, 29871, 3118, 7099, 29871, 3118, 7099, 13}
	assert.False(t, Detect("", clean, DefaultOptions()).Degenerate)
}

func TestResultJSON(t *testing.T) {
	res := Detect("我说"+rep("插座", "", 10), nil, DefaultOptions())
	b, err := json.Marshal(res)
	require.NoError(t, err)
	s := string(b)
	assert.True(t, strings.HasPrefix(s, `{"degenerate":true,"reasons":["tail_loop"],"loop":{"start_char":2,"start_byte":6,"start_token":2,"unit":"插座","period":2,"copies":10,"span_tokens":20},"signals":{"token_source":"words","tokens":22,`), s)
	keys := []string{"tail_period", "tail_copies", "tail_span", "longest_repeated_suffix", "max_run_period", "max_run_copies", "max_run_span",
		"seq_rep_4_window", "segments", "dup_segments", "max_segment_repeats", "max_segment_run", "near_period", "near_copies", "near_similarity", "near_distinct", "zlib_ratio", "unigram_entropy"}
	last := 0
	for _, k := range keys {
		i := strings.Index(s, `"`+k+`":`)
		require.Greater(t, i, last, k)
		last = i
	}
	clean, err := json.Marshal(Detect("Fine.", nil, DefaultOptions()))
	require.NoError(t, err)
	assert.Contains(t, string(clean), `"reasons":[]`)
	assert.NotContains(t, string(clean), `"loop"`)
}

func TestDetectTokenIDsLocatesLoopInText(t *testing.T) {
	// The ids loop with period 3 at token 4; the text they decode to loops
	// too, so the loop gets a character offset and a unit.
	ids := []int{1, 450, 2030, 338}
	text := "Once upon a time"
	for range 6 {
		ids = append(ids, 29871, 3118, 7099)
		text += " the end."
	}
	res := Detect(text, ids, DefaultOptions())
	require.NotNil(t, res.Loop)
	assert.Equal(t, 4, res.Loop.StartToken)
	assert.Equal(t, len("Once upon a time "), res.Loop.StartChar, "at the first word of the loop")
	assert.Equal(t, res.Loop.StartChar, res.Loop.StartByte, "ASCII")
	assert.Equal(t, "the end.", res.Loop.Unit)
}
