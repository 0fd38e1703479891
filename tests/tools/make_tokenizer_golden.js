// Writes tests/testdata/tokenizer_hf_golden.json: the ids and decoded texts that Hugging Face
// tokenizers itself (its Node bindings) gives for 200 random texts under each tokenizer variant
// below, for test_tokenizer_llama's comparison. Not run by the build; to regenerate:
//   cd /tmp && npm install tokenizers@0.23.2 && node /path/to/tests/tools/make_tokenizer_golden.js /path/to/tests/testdata
// A variant is a base fixture with a JSON merge patch (RFC 7386: null removes a key).
const fs = require('fs');
const path = require('path');
const {Tokenizer} = require(require.resolve('tokenizers', {paths: [process.cwd()]}));

const testdata = process.argv[2];
const M = '\u2581';
const cl100k = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const variants = [
  {name: 'llama', base: 'tokenizer_llama_small.json', patch: {}},
  {name: 'metaspace-first', base: 'tokenizer_llama_small.json',
   patch: {normalizer: null, pre_tokenizer: {type: 'Metaspace', replacement: M, prepend_scheme: 'first', split: false}}},
  {name: 'metaspace-split', base: 'tokenizer_llama_small.json',
   patch: {normalizer: null, pre_tokenizer: {type: 'Metaspace', replacement: M, prepend_scheme: 'always', split: true},
           decoder: {type: 'Metaspace', replacement: M, prepend_scheme: 'always', split: true}}},
  {name: 'unk-unfused', base: 'tokenizer_llama_small.json', patch: {model: {byte_fallback: false, fuse_unk: false}}},
  {name: 'partial-byte-fallback', base: 'tokenizer_llama_small.json', patch: {model: {vocab: {'<0xAC>': null, '<0x0A>': null}}}},
  {name: 'byte-level', base: 'tokenizer_small.json', patch: {}},
  {name: 'split-cl100k', base: 'tokenizer_small.json',
   patch: {pre_tokenizer: {type: 'Sequence', pretokenizers: [
     {type: 'Split', pattern: {Regex: cl100k}, behavior: 'Isolated', invert: false},
     {type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false}]}}},
  {name: 'digits-split-prefix', base: 'tokenizer_small.json',
   patch: {pre_tokenizer: {type: 'Sequence', pretokenizers: [
     {type: 'Digits', individual_digits: false},
     {type: 'Split', pattern: {String: 'e'}, behavior: 'MergedWithNext', invert: false},
     {type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true}]}}},
];

function mergePatch(target, patch) {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out = (target && typeof target === 'object' && !Array.isArray(target)) ? {...target} : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k]; else out[k] = mergePatch(out[k], v);
  }
  return out;
}

// A fixed-seed generator (mulberry32), so the file is the same on every run.
let seed = 16;
function random() {
  seed = (seed + 0x6D2B79F5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const alphabet = [...'abcdefhlortwxHAEIO!?.,-\'"', ' ', ' ', '  ', '\n', '\t', '\v', '\r\n', '\u00a0', '1', '2', '45',
  '\u00b3', '\u0663', '\u65e5', '\u672c', '\u00e9', 'e\u0301', '\u{1F600}', '<s>', '</s>', '<unk>', '<|endoftext|>',
  "'s", "'T", 'the', 'Hello', 'world', 'cafe', "don't", '123', M, '\u3000', '\u0085', '\u200b', '\u00ff'];
const texts = [];
for (let i = 0; i < 200; ++i) {
  let text = '';
  for (let n = Math.floor(random() * 21); n > 0; --n) text += alphabet[Math.floor(random() * alphabet.length)];
  texts.push(text);
}

(async () => {
  const out = {generator: 'tests/tools/make_tokenizer_golden.js with tokenizers (npm) 0.23.2', texts, variants: []};
  for (const v of variants) {
    const file = path.join(require('os').tmpdir(), `golden-${v.name}.json`);
    fs.writeFileSync(file, JSON.stringify(mergePatch(JSON.parse(fs.readFileSync(path.join(testdata, v.base), 'utf8')), v.patch)));
    const tokenizer = Tokenizer.fromFile(file);
    // With special tokens the template's ids stand around the plain ones: kept once per variant.
    const plain = [], decoded = [], all = [];
    for (const text of texts) {
      plain.push(Array.from((await tokenizer.encode(text, null, {addSpecialTokens: false})).getIds()));
      all.push(Array.from((await tokenizer.encode(text, null, {addSpecialTokens: true})).getIds()));
      decoded.push(await tokenizer.decode(all[all.length - 1], false));
    }
    const first = plain.findIndex((ids) => ids.length > 0);
    const at = all[first].findIndex((_, i) => all[first].slice(i, i + plain[first].length).join() === plain[first].join());
    const prefix = all[first].slice(0, at), suffix = all[first].slice(at + plain[first].length);
    plain.forEach((ids, i) => {
      if ([...prefix, ...ids, ...suffix].join() !== all[i].join()) throw new Error(`${v.name}: the template varies`);
    });
    out.variants.push({...v, prefix, suffix, plain, decoded});
  }
  fs.writeFileSync(path.join(testdata, 'tokenizer_hf_golden.json'), JSON.stringify(out) + '\n');
})();
