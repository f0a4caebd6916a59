package filter

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/degen-llm/degen/detect"
)

func TestTruncateLoop(t *testing.T) {
	cases := []struct {
		name, text, kept string
	}{
		{"word loop", "It was a law about carrying carrying carrying carrying carrying carrying carrying carrying carrying carrying", "It was a law about carrying"},
		{"sentence loop with cut copy", "He went out. He decided to buy a new friend. He decided to buy a new friend. He decided to buy a new friend. He decided", "He went out. He decided to buy a new friend."},
		{"zh loop", "悲剧将人生的有价值的东西毁人生人生人生人生人生人生人生人生人生", "悲剧将人生的有价值的东西毁人生"},
		{"phrase with separators", "Heute arbeitet er für Microsoft und schreibt - und schreibt - und schreibt - und schreibt - und schreibt - und schreibt - und", "Heute arbeitet er für Microsoft und schreibt"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := detect.Detect(c.text, nil, detect.DefaultOptions())
			require.NotNil(t, res.Loop, "signals %+v", res.Signals)
			kept, cut := TruncateLoop(c.text, res.Loop)
			assert.Equal(t, c.kept, kept)
			assert.Equal(t, c.text[len(kept):], cut)
			// Without the byte offset the rune offset places the loop.
			l := *res.Loop
			l.StartByte = -1
			kept2, _ := TruncateLoop(c.text, &l)
			assert.Equal(t, kept, kept2)
		})
	}
	t.Run("no loop", func(t *testing.T) {
		kept, cut := TruncateLoop("clean text", nil)
		assert.Equal(t, "clean text", kept)
		assert.Empty(t, cut)
	})
	t.Run("ids only", func(t *testing.T) {
		kept, cut := TruncateLoop("clean text", &detect.Loop{StartChar: -1, StartByte: -1, StartToken: 3})
		assert.Equal(t, "clean text", kept)
		assert.Empty(t, cut)
	})
	t.Run("stale unit cuts the whole loop", func(t *testing.T) {
		kept, cut := TruncateLoop("abc xyz xyz", &detect.Loop{StartChar: 4, StartByte: 4, Unit: "nope"})
		assert.Equal(t, "abc ", kept)
		assert.Equal(t, "xyz xyz", cut)
	})
	t.Run("offset out of range or mid-rune", func(t *testing.T) {
		kept, _ := TruncateLoop("短", &detect.Loop{StartChar: -1, StartByte: 1})
		assert.Equal(t, "短", kept)
		kept, _ = TruncateLoop("ab", &detect.Loop{StartChar: 5, StartByte: -1})
		assert.Equal(t, "ab", kept)
		kept, cut := TruncateLoop("ab", &detect.Loop{StartChar: 2, StartByte: -1})
		assert.Equal(t, "ab", kept)
		assert.Empty(t, cut)
	})
}

func TestCollapseRepeats(t *testing.T) {
	cases := []struct {
		name    string
		text    string
		want    string
		removed int
	}{
		{"word loop", "Um sich vorzustellen es wäre ein BS wäre wäre wäre wäre wäre wäre wäre wäre wäre.", "Um sich vorzustellen es wäre ein BS wäre.", 8},
		{"comma-separated word loop", "nun tritt menschen, menschen, menschen, menschen, menschen, menschen, menschen, menschen hervor", "nun tritt menschen hervor", 7},
		{"phrase loop with cut copy at the end", "The how he could how he could how he could how he could how he could how he", "The how he could", 5},
		{"sentence repeated", "Tom went home. He was happy with his new bike.\nHe was happy with his new bike.\nHe was happy with his new bike. The end.", "Tom went home. He was happy with his new bike. The end.", 0},
		{"short sentence stays", "Tom went home. He was happy.\nHe was happy.\nThe end.", "Tom went home. He was happy.\nHe was happy.\nThe end.", 0},
		{"sentence recurring later", "The cat sat on the warm mat. Then it rained. The cat sat on the warm mat!", "The cat sat on the warm mat. Then it rained.", 1},
		{"zh clause loop", "后来怎么大作业写不出来，大作业写不出来，大作业写不出来，大作业写不出来，大作业写不出来。", "后来怎么大作业写不出来。", 4},
		{"zh characters", "我想：希望本是无所谓有，无所谓无的是无是无是无是无是无是无是无是无是无", "我想：希望本是无所谓有，无所谓无的是无", 8},
		{"short repeats stay", "Ha ha ha, very very good. Yes. Yes.", "Ha ha ha, very very good. Yes. Yes.", 0},
		{"chorus-free prose stays", "One fish, two fish. Red fish, blue fish.", "One fish, two fish. Red fish, blue fish.", 0},
		{"empty", "", "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, removed := CollapseRepeats(c.text)
			assert.Equal(t, c.want, got)
			if c.removed > 0 {
				assert.Equal(t, c.removed, removed)
			} else if c.want == c.text {
				assert.Zero(t, removed)
			} else {
				assert.Positive(t, removed)
			}
			// Collapsing is idempotent.
			again, n := CollapseRepeats(got)
			assert.Equal(t, got, again)
			assert.Zero(t, n)
		})
	}
}

func TestNormalizeExact(t *testing.T) {
	assert.Equal(t, "hello world", NormalizeExact("  Hello,\n\tWORLD!  "))
	assert.Equal(t, "helloworld", NormalizeExact("hello-world"))
	assert.Equal(t, "这是 杯子", NormalizeExact("这是，  杯子。"))
	assert.Equal(t, "", NormalizeExact(" ... "))
}

func TestExactDeduper(t *testing.T) {
	d := NewExactDeduper()
	inputs := []struct {
		text    string
		cluster int
		dup     bool
	}{
		{"Hello, world!", 0, false},
		{"another text", 1, false},
		{"hello   WORLD", 0, true},
		{"Another text.", 1, true},
		{"hello world again", 4, false},
		{"", 5, false},
		{" !! ", 5, true},
	}
	for _, in := range inputs {
		c, dup := d.Add(in.text)
		assert.Equal(t, in.cluster, c, in.text)
		assert.Equal(t, in.dup, dup, in.text)
	}
}

func TestNearDeduperBasics(t *testing.T) {
	d, err := NewNearDeduper(NearOptions{})
	require.NoError(t, err)
	o := d.Options()
	assert.Equal(t, 0.8, o.Threshold)
	assert.Equal(t, 5, o.ShingleSize)
	assert.Equal(t, 128, o.NumPerm)
	assert.Equal(t, 12, o.Bands)
	assert.Equal(t, 10, o.Rows)

	base := strings.Repeat("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu ", 1) +
		"nu xi omicron pi rho sigma tau upsilon phi chi psi omega one two three four five six seven eight nine ten"
	c, dup, sim := d.Add(base)
	assert.Equal(t, 0, c)
	assert.False(t, dup)
	assert.Equal(t, 1.0, sim)
	c, dup, _ = d.Add("a completely different record about weather and mountains and rivers in the north")
	assert.Equal(t, 1, c)
	assert.False(t, dup)
	c, dup, sim = d.Add(strings.ToUpper(base) + "!")
	assert.Equal(t, 0, c)
	assert.True(t, dup)
	assert.Equal(t, 1.0, sim)
	c, dup, sim = d.Add(base + " eleven")
	assert.Equal(t, 0, c)
	assert.True(t, dup)
	assert.GreaterOrEqual(t, sim, 0.8)
	assert.Equal(t, 2, d.Kept())
	qc, _ := d.Query(base)
	assert.Equal(t, 0, qc)
	assert.Equal(t, 2, d.Kept(), "Query does not add")

	// CJK: shingles are characters.
	zh := "那天早上港口很安静，渔民们默默地修补着渔网，海鸥在灰色的海面上盘旋，等待着永远不会到来的食物。"
	c, dup, _ = d.Add(zh)
	assert.False(t, dup)
	c2, dup, _ := d.Add(strings.Replace(zh, "。", "！", 1))
	assert.True(t, dup)
	assert.Equal(t, c, c2)

	_, err = NewNearDeduper(NearOptions{Threshold: 2})
	assert.Error(t, err)
	_, err = NewNearDeduper(NearOptions{Bands: 20, Rows: 10})
	assert.Error(t, err)
}
