// Package filter cleans generated text and deduplicates corpora: it cuts a
// detected loop down to one copy ([TruncateLoop]), removes repeated
// sentences and phrases ([CollapseRepeats]), and finds exact
// ([ExactDeduper]) and near ([NearDeduper]) duplicates in a stream of
// records in bounded memory. It is pure: the CLI (`degen filter`) reads
// and writes the records.
package filter
