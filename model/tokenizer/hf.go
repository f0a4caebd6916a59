package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// Hugging Face's tokenizer.json describes a tokenizer as a pipeline:
// added tokens, normalizer, pre_tokenizer, model, post_processor, decoder.
// LoadHF maps the pipelines of the models this package supports onto a
// Vocab and refuses the others rather than tokenise differently:
//
//   - byte-level BPE: model BPE with a ByteLevel pre-tokenizer, alone
//     (GPT-2), after a Split on Llama 3's, Qwen2's or Qwen3.5's expression,
//     or after Digits (StarCoder, SmolLM); normalizer none or NFC.
//   - SentencePiece-style BPE (Gemma 3): model BPE with merges, a normalizer
//     that replaces " " with "▁" (optionally after prepending "▁"), byte
//     fallback; merged by rank, as tokenizers does.

// HFConfig is what tokenizer_config.json (and chat_template.jinja) say
// beyond the vocabulary.
type HFConfig struct {
	// ChatTemplate is the default chat template, "" when none.
	ChatTemplate string
	// ChatTemplates are the named templates when tokenizer_config.json
	// lists several (e.g. "default", "tool_use"); nil otherwise.
	ChatTemplates map[string]string
	// Token strings the config names, "" when it names none.
	BOSToken, EOSToken, UNKToken, PADToken string
	// AddBOSToken and AddEOSToken are the config's add_bos_token and
	// add_eos_token, nil when absent (Vocab.AddBOS and AddEOS are what
	// encoding does, which tokenizer.json's post_processor decides first).
	AddBOSToken, AddEOSToken *bool
}

// GGUFMetadata is the key/values that store the chat templates in a GGUF
// file: tokenizer.chat_template, and tokenizer.chat_template.<name> for the
// other named ones.
func (c *HFConfig) GGUFMetadata() []KV {
	var kvs []KV
	if c.ChatTemplate != "" {
		kvs = append(kvs, KV{keyChatTemplate, c.ChatTemplate})
	}
	for _, name := range sortedKeys(c.ChatTemplates) {
		if name != "default" {
			kvs = append(kvs, KV{keyChatTemplate + "." + name, c.ChatTemplates[name]})
		}
	}
	return kvs
}

// maxHFFile bounds a tokenizer.json read into memory (Gemma 3's is 33 MB).
const maxHFFile = 1 << 30

// LoadHF reads a Hugging Face tokenizer: path is a tokenizer.json file or a
// folder holding one, with tokenizer_config.json (and chat_template.jinja)
// beside it if present. See HFConfig for what the config gives besides the
// Vocab.
//
// Pieces are laid out by id (ids missing from the file become unused
// "[PADn]" pieces, as llama.cpp's converter writes them); added tokens
// marked special are TypeControl (TypeUnknown for the unknown token), the
// others TypeUserDefined. BOS, EOS, UNK and the pad role come from the
// config's token strings, BOS also from a post_processor template that
// starts with a special token. AddBOS and AddEOS follow the
// post_processor's template when it has one, else the config's
// add_bos_token and add_eos_token.
//
// For a gpt2 vocabulary the pre-tokenizer name is derived from the
// pre-tokenizer: the Split expression of Llama 3 (digits in groups of up to
// three) gives "llama-bpe", Qwen2's (single digits) "qwen2", Qwen3.5's
// (letters with marks) "qwen35"; a lone ByteLevel with its own expression
// "gpt-2"; Digits then ByteLevel "smollm" when the vocabulary has
// "<|im_start|>" (SmolLM, SmolLM2), else "starcoder" (the two behave alike).
func LoadHF(path string) (*Vocab, *HFConfig, error) {
	dir, file := path, filepath.Join(path, "tokenizer.json")
	if fi, err := os.Stat(path); err != nil {
		return nil, nil, fmt.Errorf("hf tokenizer: %w", err)
	} else if !fi.IsDir() {
		dir, file = filepath.Dir(path), path
	}
	data, err := readBounded(file)
	if err != nil {
		return nil, nil, fmt.Errorf("hf tokenizer: %w", err)
	}
	var tj hfTokenizer
	if err := json.Unmarshal(data, &tj); err != nil {
		return nil, nil, fmt.Errorf("hf tokenizer %s: %w", file, err)
	}
	cfg := &HFConfig{}
	var rawCfg hfConfig
	if data, err := readBounded(filepath.Join(dir, "tokenizer_config.json")); err == nil {
		if err := json.Unmarshal(data, &rawCfg); err != nil {
			return nil, nil, fmt.Errorf("hf tokenizer %s: %w", filepath.Join(dir, "tokenizer_config.json"), err)
		}
		if err := rawCfg.fill(cfg); err != nil {
			return nil, nil, fmt.Errorf("hf tokenizer %s: %w", filepath.Join(dir, "tokenizer_config.json"), err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("hf tokenizer: %w", err)
	}
	if data, err := readBounded(filepath.Join(dir, "chat_template.jinja")); err == nil {
		cfg.ChatTemplate = string(data)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("hf tokenizer: %w", err)
	}
	v, err := tj.vocab(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("hf tokenizer %s: %w", file, err)
	}
	return v, cfg, nil
}

func readBounded(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Size() > maxHFFile {
		return nil, fmt.Errorf("%s: %d bytes is too large", path, fi.Size())
	}
	return os.ReadFile(path)
}

// hfTokenizer is the part of tokenizer.json that LoadHF reads.
type hfTokenizer struct {
	AddedTokens []struct {
		ID         int    `json:"id"`
		Content    string `json:"content"`
		Special    bool   `json:"special"`
		Normalized bool   `json:"normalized"`
		LStrip     bool   `json:"lstrip"`
		RStrip     bool   `json:"rstrip"`
		SingleWord bool   `json:"single_word"`
	} `json:"added_tokens"`
	Normalizer    *hfNode `json:"normalizer"`
	PreTokenizer  *hfNode `json:"pre_tokenizer"`
	PostProcessor *hfNode `json:"post_processor"`
	Decoder       *hfNode `json:"decoder"`
	Model         struct {
		Type                    string         `json:"type"`
		Vocab                   map[string]int `json:"vocab"`
		Merges                  []hfMerge      `json:"merges"`
		UnkToken                *string        `json:"unk_token"`
		ByteFallback            bool           `json:"byte_fallback"`
		IgnoreMerges            bool           `json:"ignore_merges"`
		Dropout                 *float64       `json:"dropout"`
		ContinuingSubwordPrefix *string        `json:"continuing_subword_prefix"`
		EndOfWordSuffix         *string        `json:"end_of_word_suffix"`
	} `json:"model"`
}

// hfNode is one step of a pipeline; only the fields LoadHF reads.
type hfNode struct {
	Type          string   `json:"type"`
	Pretokenizers []hfNode `json:"pretokenizers"`
	Normalizers   []hfNode `json:"normalizers"`
	Processors    []hfNode `json:"processors"`
	Pattern       struct {
		Regex  *string `json:"Regex"`
		String *string `json:"String"`
	} `json:"pattern"`
	Content          string `json:"content"`
	Prepend          string `json:"prepend"`
	Behavior         string `json:"behavior"`
	Invert           bool   `json:"invert"`
	AddPrefixSpace   bool   `json:"add_prefix_space"`
	UseRegex         *bool  `json:"use_regex"`
	IndividualDigits bool   `json:"individual_digits"`
	Single           []struct {
		SpecialToken *struct {
			ID string `json:"id"`
		} `json:"SpecialToken"`
		Sequence *struct{} `json:"Sequence"`
	} `json:"single"`
	SpecialTokens map[string]struct {
		IDs []int `json:"ids"`
	} `json:"special_tokens"`
}

// steps flattens Sequence nodes.
func (n *hfNode) steps() []hfNode {
	if n == nil {
		return nil
	}
	if n.Type != "Sequence" {
		return []hfNode{*n}
	}
	var out []hfNode
	for _, list := range [][]hfNode{n.Pretokenizers, n.Normalizers, n.Processors} {
		for i := range list {
			out = append(out, list[i].steps()...)
		}
	}
	return out
}

// hfMerge is a merge in either spelling: "a b" or ["a", "b"].
type hfMerge string

func (m *hfMerge) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '[' {
		var pair []string
		if err := json.Unmarshal(b, &pair); err != nil {
			return err
		}
		if len(pair) != 2 {
			return fmt.Errorf("merge %s is not a pair", b)
		}
		if strings.Contains(pair[0][min(1, len(pair[0])):], " ") || strings.Contains(pair[1], " ") {
			return fmt.Errorf("merge %q holds a space, which GGUF's spelling of merges cannot", pair)
		}
		*m = hfMerge(pair[0] + " " + pair[1])
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*m = hfMerge(s)
	return nil
}

// The Split expressions of tokenizer.json that name a pre-tokenizer.
const (
	llama3Regex = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	qwen2Regex  = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	qwen35Regex = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

func (tj *hfTokenizer) vocab(cfg *HFConfig) (*Vocab, error) {
	m := &tj.Model
	switch {
	case m.Type != "" && m.Type != "BPE":
		return nil, fmt.Errorf("model type %q is not supported (only BPE)", m.Type)
	case m.Vocab == nil:
		return nil, errors.New("model has no vocab")
	case m.Dropout != nil && *m.Dropout != 0:
		return nil, errors.New("BPE dropout is not supported")
	case m.ContinuingSubwordPrefix != nil && *m.ContinuingSubwordPrefix != "",
		m.EndOfWordSuffix != nil && *m.EndOfWordSuffix != "":
		return nil, errors.New("BPE subword prefixes and suffixes are not supported")
	}
	// Lay the pieces out by id.
	n := 0
	for _, id := range m.Vocab {
		n = max(n, id+1)
	}
	for _, a := range tj.AddedTokens {
		n = max(n, a.ID+1)
	}
	if n > 1<<30 {
		return nil, fmt.Errorf("%d tokens is too many", n)
	}
	for p, id := range m.Vocab {
		if id < 0 {
			return nil, fmt.Errorf("piece %q has id %d", p, id)
		}
	}
	v := &Vocab{Pieces: make([]string, n), Types: make([]int32, n), BOS: NoToken, EOS: NoToken, UNK: NoToken}
	set := make([]bool, n)
	for p, id := range m.Vocab {
		v.Pieces[id], v.Types[id], set[id] = p, TypeNormal, true
	}
	unk := cfg.UNKToken
	if unk == "" && m.UnkToken != nil {
		unk = *m.UnkToken
	}
	for _, a := range tj.AddedTokens {
		switch {
		case a.ID < 0:
			return nil, fmt.Errorf("added token %q has id %d", a.Content, a.ID)
		case a.LStrip || a.RStrip || a.SingleWord:
			return nil, fmt.Errorf("added token %q: lstrip, rstrip and single_word are not supported", a.Content)
		case a.Normalized && (strings.Contains(a.Content, " ") || !norm.NFC.IsNormalString(a.Content)):
			// Matched in normalised text, such a token would have to be
			// normalised first; the ones seen so far need not be.
			return nil, fmt.Errorf("added token %q is matched after normalisation, which changes it", a.Content)
		}
		v.Pieces[a.ID], set[a.ID] = a.Content, true
		switch {
		case a.Special && a.Content == unk:
			v.Types[a.ID] = TypeUnknown
		case a.Special:
			v.Types[a.ID] = TypeControl
		default:
			v.Types[a.ID] = TypeUserDefined
		}
	}
	for id := range n {
		if !set[id] {
			v.Pieces[id], v.Types[id] = "[PAD"+strconv.Itoa(id)+"]", TypeUnused
		}
	}
	v.Merges = make([]string, len(m.Merges))
	for i, mg := range m.Merges {
		v.Merges[i] = string(mg)
	}

	byteLevel := false
	for _, s := range append(tj.PreTokenizer.steps(), tj.Decoder.steps()...) {
		byteLevel = byteLevel || s.Type == "ByteLevel"
	}
	var err error
	if byteLevel {
		err = tj.byteLevel(v)
	} else {
		err = tj.sentencePiece(v, m.ByteFallback)
	}
	if err != nil {
		return nil, err
	}

	ids := make(map[string]int, n)
	for id := n - 1; id >= 0; id-- {
		ids[v.Pieces[id]] = id
	}
	lookup := func(what, text string, dst *int) error {
		if text == "" {
			return nil
		}
		id, ok := ids[text]
		if !ok {
			return fmt.Errorf("%s %q is not in the vocabulary", what, text)
		}
		*dst = id
		return nil
	}
	for _, s := range []struct {
		what, text string
		dst        *int
	}{{"bos_token", cfg.BOSToken, &v.BOS}, {"eos_token", cfg.EOSToken, &v.EOS}, {"unk_token", unk, &v.UNK}} {
		if err := lookup(s.what, s.text, s.dst); err != nil {
			return nil, err
		}
	}
	if cfg.PADToken != "" {
		pad := NoToken
		if err := lookup("pad_token", cfg.PADToken, &pad); err != nil {
			return nil, err
		}
		v.Roles = map[string]int{"pad": pad}
	}
	if cfg.AddBOSToken != nil {
		v.AddBOS = *cfg.AddBOSToken
	}
	if cfg.AddEOSToken != nil {
		v.AddEOS = *cfg.AddEOSToken
	}
	if err := tj.template(v, ids); err != nil {
		return nil, err
	}
	if v.AddBOS && v.BOS < 0 {
		return nil, errors.New("encoding adds a BOS token but none is named")
	}
	if v.AddEOS && v.EOS < 0 {
		return nil, errors.New("encoding adds an EOS token but none is named")
	}
	if v.Model == ModelSPM && (v.BOS < 0 || v.EOS < 0 || v.UNK < 0) {
		return nil, errors.New("a SentencePiece vocabulary needs bos, eos and unk tokens")
	}
	v.EOG = FindEOG(v)
	return v, nil
}

// byteLevel fills in a gpt2 vocabulary's pre-tokenizer and normaliser.
func (tj *hfTokenizer) byteLevel(v *Vocab) error {
	v.Model, v.IgnoreMerges = ModelBPE, tj.Model.IgnoreMerges
	for _, s := range tj.Decoder.steps() {
		if s.Type != "ByteLevel" {
			return fmt.Errorf("decoder %q is not supported with a ByteLevel pre-tokenizer", s.Type)
		}
	}
	switch norm := tj.Normalizer.steps(); {
	case len(norm) == 0:
	case len(norm) == 1 && norm[0].Type == "NFC":
		v.Normalizer = NormalizerNFC
	default:
		return fmt.Errorf("normalizer %s is not supported (only none or NFC)", describeSteps(norm))
	}
	steps := tj.PreTokenizer.steps()
	last := len(steps) - 1
	if last < 0 || steps[last].Type != "ByteLevel" {
		return fmt.Errorf("pre-tokenizer %s is not supported: ByteLevel must come last", describeSteps(steps))
	}
	bl := steps[last]
	if bl.AddPrefixSpace {
		return errors.New("the ByteLevel pre-tokenizer's add_prefix_space is not supported")
	}
	ownRegex := bl.UseRegex == nil || *bl.UseRegex
	switch {
	case last == 0 && ownRegex:
		v.Pre = "gpt-2"
	case last == 1 && ownRegex && steps[0].Type == "Digits" && steps[0].IndividualDigits:
		v.Pre = "starcoder"
		if slices.Contains(v.Pieces, "<|im_start|>") {
			v.Pre = "smollm"
		}
	case last == 1 && !ownRegex && steps[0].Type == "Split" && steps[0].Pattern.Regex != nil &&
		steps[0].Behavior == "Isolated" && !steps[0].Invert:
		switch *steps[0].Pattern.Regex {
		case llama3Regex:
			v.Pre = "llama-bpe"
		case qwen2Regex:
			v.Pre = "qwen2"
		case qwen35Regex:
			v.Pre = "qwen35"
		default:
			return fmt.Errorf("pre-tokenizer expression %q is not supported", *steps[0].Pattern.Regex)
		}
	default:
		return fmt.Errorf("pre-tokenizer %s is not supported", describeSteps(steps))
	}
	return nil
}

// sentencePiece fills in a SentencePiece-style vocabulary: spaces as "▁",
// an optional dummy prefix, byte tokens, scores from the merge ranks.
func (tj *hfTokenizer) sentencePiece(v *Vocab, byteFallback bool) error {
	v.Model, v.Space = ModelSPM, SpaceGGUF
	replaced := false
	for i, s := range tj.Normalizer.steps() {
		switch {
		case s.Type == "Prepend" && s.Prepend == SpaceGGUF && i == 0:
			v.AddSpacePrefix = true
		case s.Type == "Replace" && s.Pattern.String != nil && *s.Pattern.String == " " && s.Content == SpaceGGUF:
			replaced = true
		default:
			return fmt.Errorf("normalizer %s is not supported", describeSteps(tj.Normalizer.steps()))
		}
	}
	if !replaced {
		return errors.New("a BPE without ByteLevel must spell spaces as ▁ (normalizer Replace)")
	}
	for _, s := range tj.PreTokenizer.steps() {
		// Splitting on " " after the normaliser has replaced every space
		// cuts nothing.
		if s.Type != "Split" || s.Pattern.String == nil || *s.Pattern.String != " " {
			return fmt.Errorf("pre-tokenizer %s is not supported with a SentencePiece-style BPE", describeSteps(tj.PreTokenizer.steps()))
		}
	}
	for _, s := range tj.Decoder.steps() {
		switch s.Type {
		case "Replace", "ByteFallback", "Fuse", "Strip":
		default:
			return fmt.Errorf("decoder %q is not supported with a SentencePiece-style BPE", s.Type)
		}
	}
	if len(v.Merges) == 0 {
		return errors.New("a SentencePiece-style BPE without merges is not supported")
	}
	if byteFallback {
		for id, p := range v.Pieces {
			if _, ok := parseByteToken(p); ok && v.Types[id] == TypeNormal {
				v.Types[id] = TypeByte
			}
		}
	}
	v.Scores = mergeScores(v)
	return nil
}

// mergeScores gives a SentencePiece score to each piece from the merges,
// for files read by llama.cpp, which merges SentencePiece vocabularies by
// score: the piece of the merge of rank r scores -(r+1), pieces no merge
// makes score lower than all. New ignores the scores when there are merges.
func mergeScores(v *Vocab) []float32 {
	ids := make(map[string]int, len(v.Pieces))
	for id := len(v.Pieces) - 1; id >= 0; id-- {
		ids[v.Pieces[id]] = id
	}
	low := -float32(len(v.Merges) + 1)
	scores := make([]float32, len(v.Pieces))
	for i := range scores {
		scores[i] = low
	}
	for r := len(v.Merges) - 1; r >= 0; r-- {
		if id, ok := ids[strings.Replace(v.Merges[r], " ", "", 1)]; ok {
			scores[id] = -float32(r + 1)
		}
	}
	return scores
}

// template applies a TemplateProcessing post-processor: a special token
// before the text is BOS, one after it EOS.
func (tj *hfTokenizer) template(v *Vocab, ids map[string]int) error {
	for _, s := range tj.PostProcessor.steps() {
		if s.Type != "TemplateProcessing" {
			continue
		}
		if len(s.Single) == 0 {
			return nil
		}
		tokenID := func(name string) (int, error) {
			if st, ok := s.SpecialTokens[name]; ok && len(st.IDs) == 1 {
				return st.IDs[0], nil
			}
			if id, ok := ids[name]; ok {
				return id, nil
			}
			return 0, fmt.Errorf("post_processor names special token %q, which is not in the vocabulary", name)
		}
		v.AddBOS, v.AddEOS = false, false
		seq := 0
		for i, item := range s.Single {
			switch {
			case item.Sequence != nil:
				seq++
			case item.SpecialToken != nil && i == 0:
				id, err := tokenID(item.SpecialToken.ID)
				if err != nil {
					return err
				}
				v.AddBOS, v.BOS = true, id
			case item.SpecialToken != nil && i == len(s.Single)-1:
				id, err := tokenID(item.SpecialToken.ID)
				if err != nil {
					return err
				}
				v.AddEOS, v.EOS = true, id
			default:
				return errors.New("post_processor template is not [special] text [special]")
			}
		}
		if seq != 1 {
			return errors.New("post_processor template is not [special] text [special]")
		}
	}
	return nil
}

func describeSteps(steps []hfNode) string {
	names := make([]string, len(steps))
	for i, s := range steps {
		names[i] = s.Type
	}
	return "[" + strings.Join(names, " ") + "]"
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// hfConfig is the part of tokenizer_config.json that LoadHF reads.
type hfConfig struct {
	BOSToken     hfTokenString   `json:"bos_token"`
	EOSToken     hfTokenString   `json:"eos_token"`
	UNKToken     hfTokenString   `json:"unk_token"`
	PADToken     hfTokenString   `json:"pad_token"`
	AddBOSToken  *bool           `json:"add_bos_token"`
	AddEOSToken  *bool           `json:"add_eos_token"`
	ChatTemplate json.RawMessage `json:"chat_template"`
}

func (c *hfConfig) fill(cfg *HFConfig) error {
	cfg.BOSToken, cfg.EOSToken, cfg.UNKToken, cfg.PADToken = string(c.BOSToken), string(c.EOSToken), string(c.UNKToken), string(c.PADToken)
	cfg.AddBOSToken, cfg.AddEOSToken = c.AddBOSToken, c.AddEOSToken
	raw := bytes.TrimSpace(c.ChatTemplate)
	switch {
	case len(raw) == 0 || string(raw) == "null":
	case raw[0] == '"':
		return json.Unmarshal(raw, &cfg.ChatTemplate)
	case raw[0] == '[':
		var list []struct {
			Name     string `json:"name"`
			Template string `json:"template"`
		}
		if err := json.Unmarshal(raw, &list); err != nil {
			return fmt.Errorf("chat_template: %w", err)
		}
		cfg.ChatTemplates = map[string]string{}
		for _, t := range list {
			cfg.ChatTemplates[t.Name] = t.Template
		}
		cfg.ChatTemplate = cfg.ChatTemplates["default"]
	default:
		return errors.New("chat_template is neither a string nor a list")
	}
	return nil
}

// hfTokenString is a token named by its text or by an AddedToken object.
type hfTokenString string

func (s *hfTokenString) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		return nil
	case len(b) > 0 && b[0] == '{':
		var obj struct {
			Content string `json:"content"`
		}
		if err := json.Unmarshal(b, &obj); err != nil {
			return err
		}
		*s = hfTokenString(obj.Content)
		return nil
	}
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return err
	}
	*s = hfTokenString(str)
	return nil
}
