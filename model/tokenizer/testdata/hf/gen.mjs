// Writes the Hugging Face reference ids of corpus.json for each tokenizer
// folder (tokenizer.json + tokenizer_config.json) named on the command line:
//
//   REF_NODE=/path/to/node_project node gen.mjs /work/shared/models/vocab/{qwen2.5,qwen3,llama3,gemma3}
//
// REF_NODE is a folder where `npm install @huggingface/transformers` was run.
// For each text, "special" is AutoTokenizer's encode with
// add_special_tokens: false (special tokens in the text are parsed, as
// tokenizers does by default); "plain" (written only when it differs) is the
// same with the special added tokens left out of the splitter, which is
// tokenizers' encode_special_tokens / transformers' split_special_tokens;
// "decoded" (written only when it differs from the text) is decode of the
// plain ids. "prefix" and "suffix" are what add_special_tokens: true adds.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const req = createRequire(path.join(process.env.REF_NODE ?? '.', 'package.json'));
const load = async (name) => {
  const mod = await import(pathToFileURL(req.resolve(name)).href);
  return mod.default ?? mod;
};
const { AutoTokenizer, env } = await load('@huggingface/transformers');
const { Tokenizer } = await load('@huggingface/tokenizers');
const version = JSON.parse(fs.readFileSync(path.join(process.env.REF_NODE ?? '.', 'node_modules/@huggingface/transformers/package.json'), 'utf8')).version;

const here = path.dirname(new URL(import.meta.url).pathname);
const corpus = JSON.parse(fs.readFileSync(path.join(here, 'corpus.json'), 'utf8'));
env.allowRemoteModels = false;

for (const dir of process.argv.slice(2)) {
  const name = path.basename(dir);
  env.localModelPath = path.dirname(dir) + '/';
  const tok = await AutoTokenizer.from_pretrained(name);
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8'));
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8'));
  const plainTok = new Tokenizer({ ...json, added_tokens: json.added_tokens.filter((t) => !t.special) }, config);

  const withBoth = tok.encode('x', { add_special_tokens: true });
  const bare = tok.encode('x', { add_special_tokens: false });
  const at = withBoth.findIndex((_, i) => withBoth.slice(i, i + bare.length).join() === bare.join());
  const prefix = withBoth.slice(0, at), suffix = withBoth.slice(at + bare.length);

  const cases = corpus.map((text) => {
    const special = tok.encode(text, { add_special_tokens: false });
    const both = tok.encode(text, { add_special_tokens: true });
    if (both.join() !== [...prefix, ...special, ...suffix].join()) throw new Error(`${name}: special tokens of ${JSON.stringify(text)}`);
    const plain = plainTok.encode(text, { add_special_tokens: false }).ids;
    const c = { special };
    if (plain.join() !== special.join()) c.plain = plain;
    const decoded = plain.length ? tok.decode(plain, { skip_special_tokens: false, clean_up_tokenization_spaces: false }) : '';
    if (decoded !== text) c.decoded = decoded;
    return c;
  });
  const lines = cases.map((c) => JSON.stringify(c));
  const out = `{"vocab":${JSON.stringify(name)},"transformers":${JSON.stringify(version)},"prefix":${JSON.stringify(prefix)},"suffix":${JSON.stringify(suffix)},"cases":[\n${lines.join(',\n')}\n]}\n`;
  fs.writeFileSync(path.join(here, name + '.json'), out);
  console.log(name, cases.length, 'cases');
}
