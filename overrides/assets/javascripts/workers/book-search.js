// The book's search worker: Material's own (loaded below), with Chinese queries cut into the
// words the index was cut into (hooks/search_words.py says why; its test: tests/test_search.py),
// and a page's link in the results highlighting what its sections matched.
//
// The index side: jieba, with the glossary's terms and the headings' phrases as whole words, cut
// every Chinese run of the index into words joined by U+200B. The query side, Material's: each
// Chinese run of the query is cut greedily by the words of the index, but a word that ends the
// run is never matched (its loop stops one character short), so 过拟合 became 过* and found 过去.
// Here each run is cut into index words before Material sees the query (longest match, forwards
// and backwards; the cut with fewer words, then fewer single characters, wins), and Material's
// own cutting is turned off, so the words reach lunr whole.
"use strict";

const HAN = /\p{sc=Han}+/gu;
const SETUP = 0, QUERY = 2, RESULT = 3;  // Material's SearchMessageType
const words = new Set();
let longest = 1;

// Every word of the index that is written in Chinese characters.
function learn(docs) {
  for (const doc of docs)
    for (const field of [doc.title, doc.text])
      for (const word of (field || "").match(HAN) || []) {  // the index joins words with U+200B
        words.add(word);
        longest = Math.max(longest, word.length);
      }
}

function cut(run, backwards) {
  const out = [];
  for (let i = 0, j = run.length; backwards ? j > 0 : i < run.length;) {
    let n = Math.min(longest, backwards ? j : run.length - i);
    const at = (k) => backwards ? run.slice(j - k, j) : run.slice(i, i + k);
    while (n > 1 && !words.has(at(n))) n--;
    out.push(at(n));
    if (backwards) j -= n; else i += n;
  }
  return backwards ? out.reverse() : out;
}

function segment(run) {
  const cost = (c) => [c.length, c.filter((w) => w.length === 1).length];
  const [forwards, backwards] = [cut(run, false), cut(run, true)];
  const [f, b] = [cost(forwards), cost(backwards)];
  return (f[0] < b[0] || (f[0] === b[0] && f[1] < b[1]) ? forwards : backwards).join(" ");
}

function rewrite(message) {
  if (message && message.type === SETUP) learn(message.data.docs);
  if (message && message.type === QUERY && typeof message.data === "string")
    return { ...message, data: message.data.replace(HAN, segment) };
  return message;
}

// A page in the results is listed with its best sections under it. Where the page's own entry
// matched nothing, Material gives it no terms, so its link carries an empty `?h=` and the page
// opens with nothing highlighted: it gets the terms its sections matched.
const post = self.postMessage;
self.postMessage = function (message, ...rest) {
  if (message && message.type === RESULT)
    for (const group of message.data.items) {
      const matched = {};
      for (const item of group)
        for (const [term, found] of Object.entries(item.terms)) if (found) matched[term] = true;
      for (const item of group) if (!Object.keys(item.terms).length) item.terms = matched;
    }
  return post.call(this, message, ...rest);
};

// Material's worker listens for "message" events: it gets each one rewritten.
const listen = self.addEventListener;
self.addEventListener = function (type, handler, ...rest) {
  const wrapped = type === "message" ? (event) => handler({ data: rewrite(event.data) }) : handler;
  return listen.call(this, type, wrapped, ...rest);
};
importScripts(new URLSearchParams(self.location.search).get("material"));

// Material cuts every Chinese run of the query again, asking `word in index.invertedIndex`. An
// index that answers "no" to that (and only to that: lunr reads postings with `[]`) leaves each
// run as it is: Material's cutter then returns the whole run, the word cut above.
const build = self.lunr.Builder.prototype.build;
self.lunr.Builder.prototype.build = function () {
  const index = build.call(this);
  index.invertedIndex = new Proxy(index.invertedIndex, { has: () => false });
  return index;
};
