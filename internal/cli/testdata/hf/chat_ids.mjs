// Writes chat_ids.json: for each tokenizer folder named on the command line
// and each conversation below, Hugging Face's apply_chat_template with the
// generation prompt, rendered (tokenize: false) and tokenized (tokenize: true).
//
//   REF_NODE=/path/to/node_project node chat_ids.mjs /work/shared/models/vocab/{qwen2.5,qwen3,llama3,gemma3} > chat_ids.json
//
// REF_NODE is a folder where `npm install @huggingface/transformers` was run.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const req = createRequire(path.join(process.env.REF_NODE ?? '.', 'package.json'));
const mod = await import(pathToFileURL(req.resolve('@huggingface/transformers')).href);
const { AutoTokenizer, env } = mod.default ?? mod;
env.allowRemoteModels = false;

const conversations = [
  [{ role: 'user', content: 'Hi' }],
  [{ role: 'system', content: 'You answer in one word.' }, { role: 'user', content: 'What colour is the sky?' }],
  [{ role: 'user', content: 'Write a poem.' }, { role: 'assistant', content: 'Roses are red,\nviolets are blue.' }, { role: 'user', content: 'Again, but sadder — und auf Deutsch, bitte. 谢谢!' }],
  [{ role: 'user', content: '  leading and trailing spaces  \n\n' }],
];
const out = {};
for (const dir of process.argv.slice(2)) {
  const name = path.basename(dir);
  env.localModelPath = path.dirname(dir) + '/';
  const tok = await AutoTokenizer.from_pretrained(name);
  out[name] = conversations.map((messages) => ({
    messages,
    rendered: tok.apply_chat_template(messages, { add_generation_prompt: true, tokenize: false }),
    token_ids: Array.from(tok.apply_chat_template(messages, { add_generation_prompt: true, tokenize: true, return_tensor: false }).input_ids),
  }));
}
process.stdout.write(JSON.stringify(out) + '\n');
