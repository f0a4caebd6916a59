package detect

import (
	"slices"
	"strings"
	"testing"
)

// Each new kind is flagged with its reason and located; the clean look-alikes
// (rule lines, progress bars, AABB doubling, a chorus sung twice, a chat
// template shown once) are not.
func TestNewKinds(t *testing.T) {
	chorus := "Jingle bells, jingle bells, jingle all the way! Oh what fun it is to ride in a one-horse open sleigh.\n"
	long := strings.Repeat("w ", 0)
	for i := range 70 {
		long += string(rune('a'+i%26)) + string(rune('a'+i/26)) + " "
	}
	cases := []struct {
		name, text, reason string
		startChar          int // −1: not checked
	}{
		{"exclamations", "Sure" + strings.Repeat("!", 300), ReasonCharRun, 4},
		{"nyny", "✦ " + strings.Repeat("ny", 32), ReasonCharRun, 2},
		{"zeros", "Step 1:12" + strings.Repeat("0", 60), ReasonCharRun, 9},
		{"special tokens", "The answer is 4.</s></s></s></s>", ReasonTurnLoop, -1},
		{"blank lines", "Done." + strings.Repeat("\n", 30), ReasonCharRun, 5},
		{"stutter", "I I I I see see see see what what what what you you you you did did did did there there there there", ReasonStutter, 0},
		{"two long copies", "Intro. " + long + long, ReasonLongRepeat, 7},
		{"turns", "Fine.<|im_start|>user\nAnd you?<|im_end|>\n<|im_start|>assistant\nGood.<|im_end|>\n<|im_start|>user\nOk<|im_end|>\n<|im_start|>assistant\nOk", ReasonTurnLoop, -1},
		{"heavy word five times", "Die Übersetzung lautet: socket. steckdose steckdose steckdose steckdose steckdose", ReasonTailLoop, 32},
	}
	opt := DefaultOptions()
	for _, c := range cases {
		r := Detect(c.text, nil, opt)
		if !slices.Contains(r.Reasons, c.reason) {
			t.Errorf("%s: reasons %v, want %s", c.name, r.Reasons, c.reason)
			continue
		}
		if c.startChar >= 0 && (r.Loop == nil || r.Loop.StartChar != c.startChar) {
			t.Errorf("%s: loop %+v, want start_char %d", c.name, r.Loop, c.startChar)
		}
	}
	clean := map[string]string{
		"rule line":     "Title\n" + strings.Repeat("=", 80) + "\nBody text here.",
		"leaders":       "Chapter 1 " + strings.Repeat(".", 40) + " 5",
		"progress bar":  "Fetching 8 files: 100%|" + strings.Repeat("█", 150) + "| 8/8",
		"AABB":          "房间收拾得干干净净整整齐齐，大家高高兴兴地回家了。",
		"chorus twice":  "Dashing through the snow in a one-horse open sleigh.\n" + chorus + chorus + "A day or two ago I thought I'd take a ride.",
		"template once": "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
		"poem":          "東風惡，歡情薄，一懷愁緒，幾年離索。錯，錯，錯！山盟雖在，錦書難托。莫，莫，莫！",
		"very very":     "It was very very cold, no no, not that cold.",
	}
	for name, text := range clean {
		if r := Detect(text, nil, opt); r.Degenerate {
			t.Errorf("%s: flagged %v", name, r.Reasons)
		}
	}
}
