// gen.cjs renders the conversations below with Hugging Face's own chat
// template code (transformers.js apply_chat_template, which uses
// @huggingface/jinja) and prints them as fixtures.json for the Go tests.
// How it is run is in README.md beside this file. It only calls the npm
// packages; it has no logic of ours beyond the cases.
"use strict";

const path = require("path");

// strftime_now reads the clock: fix it to 2024-07-26 09:30 UTC so the
// fixtures do not change with the day. The Go tests pass the same instant
// through Options.Now.
process.env.TZ = "UTC";
const FIXED = Date.UTC(2024, 6, 26, 9, 30, 0);
const RealDate = Date;
global.Date = class extends RealDate {
	constructor(...args) {
		super(...(args.length ? args : [FIXED]));
	}
	static now() {
		return FIXED;
	}
};

const { AutoTokenizer, env } = require("@huggingface/transformers");
const { Template } = require("@huggingface/jinja");

const vocabDir = process.argv[2];
if (!vocabDir) {
	console.error("usage: node gen.cjs /path/to/shared/models/vocab > fixtures.json");
	process.exit(2);
}
env.localModelPath = path.resolve(vocabDir) + "/";
env.allowRemoteModels = false;

const user = (content) => ({ role: "user", content });
const assistant = (content) => ({ role: "assistant", content });
const system = (content) => ({ role: "system", content });

const TOOLS = [
	{
		type: "function",
		function: {
			name: "get_weather",
			description: "Get the current weather in a city.",
			parameters: {
				type: "object",
				properties: {
					city: { type: "string", description: "City name, e.g. Zürich" },
					unit: { type: "string", enum: ["celsius", "fahrenheit"] },
				},
				required: ["city"],
			},
		},
	},
	{
		type: "function",
		function: {
			name: "add",
			description: "Add two integers.",
			parameters: {
				type: "object",
				properties: { a: { type: "integer" }, b: { type: "integer" } },
				required: ["a", "b"],
			},
		},
	},
];

const CALL = {
	role: "assistant",
	content: "",
	tool_calls: [
		{
			id: "call_1",
			type: "function",
			function: { name: "get_weather", arguments: { city: "Zürich", unit: "celsius" } },
		},
	],
};
const CALL_TWO = {
	role: "assistant",
	content: "Let me check both.",
	tool_calls: [
		{ id: "call_1", type: "function", function: { name: "get_weather", arguments: { city: "Paris" } } },
		{ id: "call_2", type: "function", function: { name: "add", arguments: { a: 2, b: -3 } } },
	],
};
const RESULT = { role: "tool", tool_call_id: "call_1", name: "get_weather", content: '{"temperature": 21, "condition": "sunny"}' };
const RESULT_ADD = { role: "tool", tool_call_id: "call_2", name: "add", content: "-1" };

const MESSY = "  Grüße aus Zürich, 世界! 👋\n\n\tsecond line with a tab  \nthird \"quoted\" line\\  \n";

// Cases every template gets.
const common = [
	{ name: "single_user", messages: [user("Hello!")], options: { add_generation_prompt: true } },
	{ name: "single_user_no_prompt", messages: [user("Hello!")], options: { add_generation_prompt: false } },
	{ name: "system_user", messages: [system("You are terse."), user("What is 2+2?")], options: { add_generation_prompt: true } },
	{
		name: "multi_turn",
		messages: [user("Hi there."), assistant("Hello! How can I help?"), user("Tell me a joke.")],
		options: { add_generation_prompt: true },
	},
	{
		name: "system_multi_turn",
		messages: [system("Be kind."), user("Hi."), assistant("Hello."), user("Bye."), assistant("Goodbye!")],
		options: { add_generation_prompt: false },
	},
	{ name: "assistant_last", messages: [user("Say yes."), assistant("Yes.")], options: { add_generation_prompt: false } },
	{ name: "assistant_last_with_prompt", messages: [user("Say yes."), assistant("Yes.")], options: { add_generation_prompt: true } },
	{ name: "messy_text", messages: [system(MESSY), user(MESSY), assistant(" " + MESSY), user("\n")], options: { add_generation_prompt: true } },
	{ name: "empty_user", messages: [user("")], options: { add_generation_prompt: true } },
	{
		name: "parts",
		messages: [
			{ role: "user", content: [{ type: "text", text: "Describe " }, { type: "text", text: " the sea.  " }] },
		],
		options: { add_generation_prompt: true },
	},
	{
		name: "parts_system",
		messages: [
			{ role: "system", content: [{ type: "text", text: "Answer in French." }] },
			{ role: "user", content: [{ type: "text", text: "Hello" }] },
		],
		options: { add_generation_prompt: true },
	},
	{ name: "extra_vars_ignored", messages: [user("Hi")], options: { add_generation_prompt: true, date_string: "01 Jan 2025", custom: [1, 2] } },
];

const toolCases = [
	{ name: "tools_given", messages: [user("Weather in Zürich?")], options: { add_generation_prompt: true, tools: TOOLS } },
	{
		name: "tools_system",
		messages: [system("You can call tools."), user("Weather in Zürich?")],
		options: { add_generation_prompt: true, tools: TOOLS },
	},
	{
		name: "tool_call_and_result",
		messages: [user("Weather in Zürich?"), CALL, RESULT],
		options: { add_generation_prompt: true, tools: TOOLS },
	},
	{
		name: "tool_calls_two_results",
		messages: [system("Use tools."), user("Paris weather, and 2 + -3?"), CALL_TWO, RESULT, RESULT_ADD, assistant("It is sunny; the sum is -1.")],
		options: { add_generation_prompt: false, tools: TOOLS },
	},
	{
		name: "tool_result_no_tools_option",
		messages: [user("Weather in Zürich?"), CALL, RESULT],
		options: { add_generation_prompt: true },
	},
];

const perTemplate = {
	"qwen2.5": [
		...toolCases,
		{
			name: "tool_call_string_arguments",
			messages: [
				user("Add 1 and 2"),
				{ role: "assistant", content: "", tool_calls: [{ type: "function", function: { name: "add", arguments: '{"a": 1, "b": 2}' } }] },
				{ role: "tool", content: "3" },
			],
			options: { add_generation_prompt: true, tools: TOOLS },
		},
		{
			name: "tool_call_without_function_wrapper",
			messages: [user("Add 1 and 2"), { role: "assistant", content: null, tool_calls: [{ name: "add", arguments: { a: 1, b: 2 } }] }],
			options: { add_generation_prompt: false },
		},
		{ name: "system_later", messages: [user("a"), system("late system"), user("b")], options: { add_generation_prompt: true } },
	],
	qwen3: [
		...toolCases,
		{ name: "thinking_off", messages: [user("Quick: capital of France?")], options: { add_generation_prompt: true, enable_thinking: false } },
		{ name: "thinking_on_explicit", messages: [user("Quick: capital of France?")], options: { add_generation_prompt: true, enable_thinking: true } },
		{
			name: "reasoning_content_last",
			messages: [user("2+2?"), { role: "assistant", content: "4", reasoning_content: "\nSimple sum.\n" }],
			options: { add_generation_prompt: false },
		},
		{
			name: "reasoning_content_history",
			messages: [
				user("2+2?"),
				{ role: "assistant", content: "4", reasoning_content: "Simple sum." },
				user("And 3+3?"),
			],
			options: { add_generation_prompt: true },
		},
		{
			name: "think_inline_last",
			messages: [user("2+2?"), assistant("<think>\nAdd them.\n</think>\n\nThe answer is 4.")],
			options: { add_generation_prompt: false },
		},
		{
			name: "think_inline_history",
			messages: [user("2+2?"), assistant("<think>\nAdd them.\n</think>\n\nThe answer is 4."), user("Thanks")],
			options: { add_generation_prompt: true, enable_thinking: false },
		},
		{
			name: "think_after_tool",
			messages: [
				user("Weather in Zürich?"),
				{ ...CALL, content: "<think>\nI should call the tool.\n</think>\n\n" },
				RESULT,
				{ role: "assistant", content: "It is 21 °C and sunny.", reasoning_content: "The tool said 21." },
			],
			options: { add_generation_prompt: false, tools: TOOLS },
		},
		{
			name: "tool_call_string_arguments",
			messages: [
				user("Add 1 and 2"),
				{ role: "assistant", content: "", tool_calls: [{ type: "function", function: { name: "add", arguments: '{"a": 1, "b": 2}' } }] },
				{ role: "tool", content: "3" },
			],
			options: { add_generation_prompt: true, tools: TOOLS },
		},
		{
			name: "user_tool_response_text",
			messages: [user("Weather?"), assistant("Calling."), user("<tool_response>\nsunny\n</tool_response>")],
			options: { add_generation_prompt: true },
		},
		{ name: "system_later", messages: [user("a"), system("late system"), user("b")], options: { add_generation_prompt: true } },
		{ name: "reasoning_null", messages: [user("x"), { role: "assistant", content: "y", reasoning_content: null }], options: { add_generation_prompt: false } },
	],
	llama3: [
		...toolCases,
		{ name: "bos_only_first", messages: [system("S"), user("U1"), assistant("A1"), user("U2")], options: { add_generation_prompt: false } },
	],
	gemma3: [
		{ name: "system_folding_multi", messages: [system("  Be brief.  "), user("Hi"), assistant("Hello"), user("Bye")], options: { add_generation_prompt: true } },
		{ name: "bad_order_assistant_first", messages: [assistant("I start."), user("Hi")], options: { add_generation_prompt: true } },
		{ name: "bad_order_two_users", messages: [user("a"), user("b")], options: { add_generation_prompt: true } },
		{ name: "bad_order_after_system", messages: [system("S"), assistant("A")], options: { add_generation_prompt: true } },
		{
			name: "image_part",
			messages: [{ role: "user", content: [{ type: "image" }, { type: "text", text: " What is this? " }] }],
			options: { add_generation_prompt: true },
		},
		{ name: "system_only", messages: [system("Only a system prompt.")], options: { add_generation_prompt: true } },
		{ name: "bad_content_type", messages: [{ role: "user", content: 42 }], options: { add_generation_prompt: true } },
	],
};

// Templates of our own that exercise engine features the four real ones do
// not, in the way other models' chat templates use them. Rendered by
// @huggingface/jinja the same way (lstrip_blocks, trim_blocks).
const FEATURES = {
	llama31_date: [
		'{{- bos_token }}',
		'{%- if not date_string is defined %}{%- set date_string = strftime_now("%d %b %Y") %}{%- endif %}',
		'{%- if not tools_in_user_message is defined %}{%- set tools_in_user_message = true %}{%- endif %}',
		"{%- if messages[0]['role'] == 'system' %}",
		"    {%- set system_message = messages[0]['content']|trim %}",
		'    {%- set messages = messages[1:] %}',
		'{%- else %}',
		'    {%- set system_message = "" %}',
		'{%- endif %}',
		'{{- "<|start_header_id|>system<|end_header_id|>\\n\\n" }}',
		'{{- "Cutting Knowledge Date: December 2023\\n" }}',
		'{{- "Today Date: " + date_string + "\\n\\n" }}',
		'{%- if tools is not none and not tools_in_user_message %}',
		'    {%- for t in tools %}',
		'        {{- t | tojson(indent=4) }}',
		'        {{- "\\n\\n" }}',
		'    {%- endfor %}',
		'{%- endif %}',
		'{{- system_message }}',
		'{{- "<|eot_id|>" }}',
		'{%- if tools_in_user_message and not tools is none %}',
		'    {%- set first_user_message = messages[0][\'content\']|trim %}',
		'    {%- set messages = messages[1:] %}',
		'    {{- \'<|start_header_id|>user<|end_header_id|>\\n\\n\' -}}',
		'    {%- for t in tools %}',
		'        {{- t | tojson(indent=4) }}',
		'        {{- "\\n\\n" }}',
		'    {%- endfor %}',
		'    {{- first_user_message + "<|eot_id|>"}}',
		'{%- endif %}',
		'{%- for message in messages %}',
		"    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}",
		"        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}",
		"    {%- elif 'tool_calls' in message %}",
		'        {%- set tool_call = message.tool_calls[0].function %}',
		"        {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}",
		"        {{- '{\"name\": \"' + tool_call.name + '\", ' }}",
		"        {{- '\"parameters\": ' }}",
		'        {{- tool_call.arguments | tojson }}',
		'        {{- "}" }}',
		'        {{- "<|eot_id|>" }}',
		'    {%- elif message.role == "tool" or message.role == "ipython" %}',
		'        {{- "<|start_header_id|>ipython<|end_header_id|>\\n\\n" }}',
		'        {%- if message.content is mapping or message.content is iterable %}',
		'            {{- message.content | tojson }}',
		'        {%- else %}',
		'            {{- message.content }}',
		'        {%- endif %}',
		'        {{- "<|eot_id|>" }}',
		'    {%- endif %}',
		'{%- endfor %}',
		'{%- if add_generation_prompt %}',
		"    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}",
		'{%- endif %}',
	].join("\n"),
	control: [
		"{%- macro turn(role, text, end='<END>') -%}",
		"[{{ role | upper }}]{{ text }}{{ end }}",
		"{%- endmacro -%}",
		"{%- macro b(x) %}{{ 'T' if x else 'F' }}{% endmacro -%}",
		"{% for m in messages if m.role != 'system' %}",
		"{{ loop.index }}/{{ loop.length }} {{ loop.index0 }} {{ loop.revindex }} {{ loop.revindex0 }} {{ b(loop.first) }} {{ b(loop.last) }}",
		"{% if m.role == 'user' %}{{ turn('user', m.content) }}{% elif m.role == 'assistant' %}{{ turn(m.role, m.content, end='<EOT>') }}{% else %}{{ turn(text=m.content, role='other') }}{% endif %}",
		"{% endfor %}",
		"{% for i in range(5) %}{% if i == 1 %}{% continue %}{% endif %}{% if i == 4 %}{% break %}{% endif %}{{ i }},{% endfor %}",
		"{% for x in [] %}never{% else %}empty-else{% endfor %}",
		"{% for k, v in {'a': 1, 'b': [2, 3]}.items() %} {{ k }}={{ v }}{% endfor %}",
		"{% set ns = namespace(count=0, names=[]) %}{% for m in messages %}{% set ns.count = ns.count + 1 %}{% endfor %}",
		"count={{ ns.count }}",
		"{% set block %}  captured {{ messages | length }}  {% endset %}[{{ block }}]",
		"{# a comment #}",
		"  {%- if true -%}  tight  {%- endif -%}  ",
		"{{ '|' }}",
		"{% for a in range(2) %}{% for b2 in range(2) %}{{ a }}{{ b2 }}{{ loop.index }} {% endfor %}{% endfor %}",
		"{% if add_generation_prompt %}<GEN>{% endif %}",
		"",
	].join("\n"),
	filters: [
		"{%- macro b(x) %}{{ 'T' if x else 'F' }}{% endmacro -%}",
		"{% set s = '  Hello, World  ' %}",
		"[{{ s | trim }}][{{ s | upper }}][{{ s | lower }}][{{ s.strip() }}][{{ s.lstrip() }}][{{ s.rstrip() }}]",
		"[{{ 'a,b,,c'.split(',') | join('|') }}][{{ 'a-b-c'.split('-') | last }}]",
		"[{{ 'hello world'.title() }}][{{ 'hello' | capitalize }}][{{ b('hello'.startswith('he')) }}][{{ b('hello'.endswith('lo')) }}][{{ 'abcabc'.replace('b', 'B') }}]",
		"[{{ 'hello'[1:3] }}][{{ 'hello'[::-1] }}][{{ 'hello'[-1] }}][{{ [1,2,3,4][1:] }}][{{ [1,2,3,4][:-1] }}][{{ [1,2,3,4][::2] }}]",
		"[{{ messages | map(attribute='role') | join(',') }}][{{ messages | selectattr('role', 'equalto', 'user') | list | length }}][{{ messages | rejectattr('role', 'equalto', 'user') | map(attribute='content') | join(';') }}]",
		"[{{ [3, 1, 2] | sort | join }}][{{ [1, 2, 3] | reverse | join(' ') }}][{{ [1,1,2] | unique | list | length }}][{{ [4,5] | first }}][{{ [4,5] | last }}][{{ 'abc' | length }}]",
		"[{{ undefined_thing | default('dflt') }}][{{ '' | default('dflt', true) }}][{{ '42' | int + 1 }}][{{ '2.5' | float * 2 }}][{{ -3 | abs }}][{{ 7 | string ~ '!' }}]",
		"[{{ {'b': 1, 'a': [1, 'x', none, true]} | tojson }}][{{ 'Grüße \"q\"\\n\\t\\u0001' | tojson }}][{{ {'k': {'n': [], 'm': {}, 'l': [1, 2]}} | tojson(indent=2) }}][{{ [1.5, -2, 'x'] | tojson(indent=4) }}]",
		"[{{ b('x' in 'xyz') }}][{{ b('role' in messages[0]) }}][{{ b(3 in [1,2,3]) }}][{{ b('q' not in 'xyz') }}][{{ messages[0].role | upper }}]",
		"[{{ 7 // 2 }}][{{ 7 % 3 }}][{{ 2 ** 10 }}][{{ 7 / 2 }}][{{ 1 + 2 * 3 - 4 }}][{{ -(2 + 3) }}][{{ 4 / 2 }}][{{ 0.1 + 0.2 }}][{{ 1.0 }}]",
		"[{{ 'yes' if messages | length > 1 else 'no' }}][{{ b(1 < 2 and 2 < 3) }}][{{ b(not (1 == 1) or false) }}][{{ b(1 != 2) }}]",
		"[{{ {'x': 1}['x'] }}][{{ {'x': 1}.x }}][{{ {'x': 1}.get('y', 'none-y') }}][{{ {'a': 1, 'b': 2}.keys() | list | join }}][{{ {'a': 1, 'b': 2}.values() | list | join }}]",
		"[{{ ['a', 'b'] | join(', ') }}][{{ 'a\\nb' | indent(2) }}][{{ messages | selectattr('role', 'eq', 'user') | map(attribute='content') | join }}]",
		"",
	].join("\n"),
	tests: [
		"{%- macro b(x) %}{{ 'T' if x else 'F' }}{% endmacro -%}",
		"{% set d = {'s': 'str', 'n': 3, 'f': 1.5, 'l': [1], 'm': {'a': 1}, 'z': none, 'b': true} %}",
		"{% for k in ['s', 'n', 'f', 'l', 'm', 'z', 'b', 'missing'] %}",
		"{{ k }}: {{ b(d[k] is defined) }} {{ b(d[k] is undefined) }} {{ b(d[k] is none) }} {{ b(d[k] is string) }} {{ b(d[k] is integer) }} {{ b(d[k] is mapping) }} {{ b(d[k] is boolean) }} {{ b(d[k] is true) }} {{ b(d[k] is false) }}",
		"{% endfor %}",
		"{{ b(3 is odd) }} {{ b(4 is even) }} {{ b(messages is sequence) }} {{ b(enable_thinking is defined and enable_thinking is false) }}",
		"{{ b(messages[0].nothing is defined) }} {{ b(messages[0]['nothing'] is undefined) }} {{ b(tools is none) }} {{ b(documents is none) }}",
		"{% if messages[0].nothing %}truthy{% else %}falsy{% endif %} [{{ messages[0].nothing }}] [{{ missing_var }}]",
		"{{ d.l | length }} {{ d.m | length }} {{ d.m.items() | list | length }} {{ d.s[0] }}",
		"",
	].join("\n"),
	raise: "{%- for m in messages %}{%- if m.role not in ['user', 'assistant'] %}{{ raise_exception('Unsupported role: ' + m.role) }}{%- endif %}{{ m.content }}{%- endfor %}",
};

const featureCases = {
	llama31_date: [
		{ name: "strftime_now", messages: [system("Sys"), user("Hi")], options: { add_generation_prompt: true } },
		{ name: "date_string_given", messages: [user("Hi")], options: { add_generation_prompt: true, date_string: "01 Jan 2025" } },
		{ name: "tools_in_user", messages: [system("Sys"), user("  Weather?  ")], options: { add_generation_prompt: true, tools: TOOLS } },
		{
			name: "tools_in_system",
			messages: [user("Weather?"), CALL, { role: "tool", content: { temperature: 21 } }],
			options: { add_generation_prompt: true, tools: TOOLS, tools_in_user_message: false },
		},
	],
	control: [
		{ name: "basic", messages: [system("s"), user("u1"), assistant("a1"), { role: "tool", content: "t1" }], options: { add_generation_prompt: true } },
		{ name: "single", messages: [user("only")], options: { add_generation_prompt: false } },
	],
	filters: [{ name: "basic", messages: [user("q1"), assistant("a1"), user("q2")], options: {} }],
	tests: [
		{ name: "basic", messages: [user("q")], options: { enable_thinking: false } },
		{ name: "thinking_undefined", messages: [user("q")], options: {} },
	],
	raise: [
		{ name: "ok", messages: [user("a"), assistant("b")], options: {} },
		{ name: "raises", messages: [user("a"), system("b")], options: {} },
	],
};

// The packages do not export package.json: read it beside the resolved entry.
function pkgVersion(name) {
	const fs = require("fs");
	let dir = path.dirname(require.resolve(name));
	while (!fs.existsSync(path.join(dir, "package.json")) || JSON.parse(fs.readFileSync(path.join(dir, "package.json"))).name !== name) {
		dir = path.dirname(dir);
	}
	return JSON.parse(fs.readFileSync(path.join(dir, "package.json"))).version;
}

function render(fn) {
	try {
		return { output: fn() };
	} catch (e) {
		return { error: String(e && e.message ? e.message : e) };
	}
}

(async () => {
	const out = { generator: "transformers.js apply_chat_template (@huggingface/transformers " + pkgVersion("@huggingface/transformers") + ", @huggingface/jinja " + pkgVersion("@huggingface/jinja") + ")", now: new RealDate(FIXED).toISOString(), vocab: {}, features: FEATURES, cases: [] };
	for (const folder of ["qwen2.5", "qwen3", "llama3", "gemma3"]) {
		const tok = await AutoTokenizer.from_pretrained(folder);
		out.vocab[folder] = { bos_token: tok.bos_token ?? null, eos_token: tok.eos_token ?? null };
		for (const c of [...common, ...(perTemplate[folder] || [])]) {
			const { add_generation_prompt, ...rest } = c.options;
			const r = render(() => tok.apply_chat_template(c.messages, { tokenize: false, add_generation_prompt: !!add_generation_prompt, ...rest }));
			out.cases.push({ template: folder, name: c.name, messages: c.messages, options: c.options, ...r });
		}
	}
	for (const [name, src] of Object.entries(FEATURES)) {
		// The same variables apply_chat_template passes, with Llama 3's tokens.
		let t = null;
		const parsed = render(() => (t = new Template(src)));
		for (const c of featureCases[name]) {
			const { add_generation_prompt, ...rest } = c.options;
			const vars = { messages: c.messages, add_generation_prompt: !!add_generation_prompt, tools: null, documents: null, bos_token: "<|begin_of_text|>", eos_token: "<|eot_id|>", ...rest };
			const r = parsed.error ? parsed : render(() => t.render(vars));
			out.cases.push({ template: "feature:" + name, name: c.name, messages: c.messages, options: c.options, ...r });
		}
	}
	// One case per line keeps diffs readable and the file compact.
	const lines = [];
	lines.push("{");
	lines.push('"generator": ' + JSON.stringify(out.generator) + ",");
	lines.push('"now": ' + JSON.stringify(out.now) + ",");
	lines.push('"vocab": ' + JSON.stringify(out.vocab) + ",");
	lines.push('"features": ' + JSON.stringify(out.features) + ",");
	lines.push('"cases": [');
	lines.push(out.cases.map((c) => JSON.stringify(c)).join(",\n"));
	lines.push("]}");
	process.stdout.write(lines.join("\n") + "\n");
})().catch((e) => {
	console.error(e);
	process.exit(1);
});
