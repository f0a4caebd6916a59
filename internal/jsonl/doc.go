// Package jsonl is the JSON Lines plumbing shared by every degen
// subcommand: a [Reader] that streams [Record]s from plain, gzip or zstd
// files (or standard input), and a [Writer] that writes them back.
//
// The design goal is a lossless pipe. A [Record] is an ordered open map
// holding each top-level key and value as the raw bytes read, so
// "generate | score | detect | filter" can each add a namespaced key
// ("score", "detect", ...) while unknown fields, key order, number spellings
// such as 1.0, -0 or 12345678901234567890, and string escapes go through
// byte for byte; only whitespace between top-level tokens is dropped.
// Values are decoded on demand ([Record.GetString], [Record.Lookup]),
// and output never HTML-escapes <, > or &.
//
// Lines are read with bufio.Reader, not bufio.Scanner, so line length is
// bounded only by [Options.MaxLineBytes]. Every error about input names the
// input and its 1-based physical line ([LineError]), e.g.
//
//	prompts.jsonl:17: invalid JSON: unexpected 'x' in object, want ',' or '}' (byte 12)
//
// With [Skip] a malformed line is counted and copied to [Options.Rejects]
// instead. The --rejects FILE pattern is a second [Writer], whose [Writer.Raw]
// view takes the rejected lines, compressed by extension like any output:
//
//	rej, err := jsonl.Create(rejectsPath, jsonl.WriterOptions{})
//	if err != nil { ... }
//	r, err := jsonl.OpenAll(inputs, jsonl.Options{OnError: jsonl.Skip, Rejects: rej.Raw()})
//	... read until io.EOF, then r.Close() ...
//	if err := rej.Close(); err != nil { ... } // flushes; reports any failed write
//
// Input compression is detected from magic bytes (gzip 1F 8B, zstd
// 28 B5 2F FD), output compression from the file extension (.gz, .zst).
package jsonl
