// Package chat renders the chat templates of Hugging Face models, so a
// conversation of OpenAI-style messages becomes exactly the prompt text that
// transformers' tokenizer.apply_chat_template(messages, tokenize=False)
// produces.
//
// A template comes from a tokenizer_config.json ([FromConfig]: chat_template
// as a string or as a list of named templates) or from GGUF metadata
// ([FromGGUF]: tokenizer.chat_template). [Parse] it once; [Template.Render]
// is safe for concurrent use.
//
//	cfg, err := chat.FromConfig(data)
//	opts := cfg.Options()
//	opts.AddGenerationPrompt = true
//	prompt, err := cfg.Template.Render(msgs, opts)
//
// # The engine
//
// Templates are Jinja2. The package has its own small Jinja2 engine with the
// semantics of the environment transformers builds: an
// ImmutableSandboxedEnvironment with trim_blocks and lstrip_blocks, the
// loopcontrols extension, the default (lenient) Undefined, and transformers'
// own tojson (json.dumps with ensure_ascii=False, Python's separators),
// raise_exception and strftime_now. Values behave as Python's: None and
// True print as "None" and "True", lists and dicts print as their repr,
// dicts keep insertion order, 7/2 is 3.5 and 4/2 is 2.0, "+" of a string
// and a list is an error.
//
// Supported: text, {{ }}, {% %} and {# #} with "-" and "+" whitespace
// control; if/elif/else, for (with else, a filter "if", tuple unpacking,
// recursive), set (names, tuples, namespace attributes, block set with
// filters), macro (defaults, keyword arguments), filter blocks, break and
// continue, raw, and transformers' {% generation %}. Expressions: literals
// (strings with Python escapes, ints, floats, lists, tuples, dicts),
// attribute and item access, slices with steps, calls, filters and tests
// (also "is not" and one-argument tests without parentheses), not/and/or,
// chained comparisons, in and not in, + - * / // % ** with Python's rules,
// ~ and the conditional expression. Globals: range (at most 100000 items, as
// in the sandbox), namespace, dict, joiner, cycler, raise_exception,
// strftime_now. Filters: abs attr capitalize center count d default dictsort
// e escape first float format indent int items join last length list lower
// map max min reject rejectattr replace reverse round safe select selectattr
// sort string sum title tojson trim unique upper wordcount. Tests: defined
// undefined none boolean true false integer float number string mapping
// iterable sequence callable odd even divisibleby eq equalto ne lt le gt ge
// in sameas lower upper. The str, dict and list methods that templates call
// (strip/lstrip/rstrip with chars, split/rsplit, splitlines,
// startswith/endswith, replace, find, count, join, upper, lower, title,
// items, keys, values, get, ...); mutating methods fail as the immutable
// sandbox makes them fail. Not supported: extends, include, import, call
// blocks, with, do, autoescape.
//
// Untrusted templates (a GGUF file is input) cannot hang or exhaust memory:
// parsing nests at most a few hundred levels, macro calls and recursive
// loops at most 100, a rendering runs at most a few million steps, and no
// string or output grows past 32 MiB. Errors are returned, never panics:
// [SyntaxError] for a template that does not parse, [RenderError] for one
// that fails while rendering, [RaiseError] carrying the template's own
// message for raise_exception (as Gemma 3's on a bad order of roles).
//
// # How it is checked
//
// testdata/fixtures.json holds prompts rendered by transformers.js (Hugging
// Face's JavaScript apply_chat_template and its @huggingface/jinja engine)
// for the real templates of Qwen2.5, Qwen3, Llama 3 and Gemma 3 and for
// templates of our own that use the rest of the subset; the tests compare
// byte for byte. Where the JavaScript engine and Python's Jinja2 disagree
// (a list content joined to a string, printing None or True, scoping of set
// in a loop), the tests follow Python, and their expected values were
// checked with Jinja2 3.1.6 set up as transformers sets it up. A fuzz
// target runs template sources and messages through Parse and Render.
//
// Content given as a list of parts is passed to the template as a list, as
// transformers does; Gemma 3's template reads it, while Qwen's and Llama 3's
// do not. [Template.TakesParts] tells which, and [Flatten] turns parts into
// text for the others.
package chat
