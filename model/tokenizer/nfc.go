package tokenizer

import (
	"fmt"

	"golang.org/x/text/unicode/norm"
)

// Normalizers of Vocab.Normalizer.
const (
	NormalizerNone = ""
	NormalizerNFC  = "nfc" // Unicode canonical composition (Qwen's tokenizer.json)
)

// NFC comes from golang.org/x/text/unicode/norm: it needs the Unicode
// decomposition, combining-class and composition-exclusion tables, which
// x/text keeps at the Unicode version of the Go release it builds with
// (15.0.0 for Go 1.26, as the unicode package that classifies characters
// for the pre-tokenizers).

// normalize applies the vocabulary's normaliser to a section of text. Text
// that is already normal, which includes all ASCII, is returned as it is.
func (t *Tokenizer) normalize(s string) string {
	if !t.nfc {
		return s
	}
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii || norm.NFC.IsNormalString(s) {
		return s
	}
	return norm.NFC.String(s)
}

func checkNormalizer(name string) error {
	switch name {
	case NormalizerNone, NormalizerNFC:
		return nil
	}
	return fmt.Errorf("tokenizer: normalizer %q is not supported (only %q)", name, NormalizerNFC)
}
