// Package watch recognises protected persons on any page: the watch index
// and its matcher (issue 5, points 2–4).
//
// A case registers its protected person's identifiers (names and their
// variants, addresses, postcodes, phone numbers, e-mail addresses, handles,
// school, ID numbers, date of birth). They are kept encrypted for the
// analyst elsewhere; they enter the watch index only as keyed hashes of
// their normalized token sequences, under a key that the caller passes in
// and that is neither in the index nor in its file. Rotating the key is a
// rebuild from the decrypted identifiers (Index.Rebuild).
//
// # Normalization
//
// Normalize, NormalizeText (fold.go, tokenize.go): every spelling of an
// identifier gives the same tokens. Characters are folded one at a time
// (NFKD with combining marks dropped plus compatibility forms, that is NFKC
// for matching purposes; lower case; Cyrillic and Greek look-alikes; l and i
// as one letter), invisible characters skipped; words with letters have
// their digits and @ $ ! | read as letters (leetspeak), words of digits
// stay digits; letter-spaced words are joined; "at" and "dot" are dropped so
// that e-mail addresses written with them match. Phone numbers become E.164
// (libphonenumber for identifiers, the same rules for "+", "00" and "0"
// prefixes in texts, default region NL).
//
// # Index
//
// Per entry (an identifier or one of its variants): the 64-bit keyed hash
// of its token sequence (hash.go: SipHash-2-4 per token, chained), the
// person (an index into a table of opaque person references), the kind and
// the token count. Entries are sorted by hash with a directory on the top
// bits: a lookup reads one directory slot and about one entry. A blocked
// Bloom filter, one 64-bit word per lookup, holds every entry's hash
// ("ends here") and the hash of every proper prefix of a multi-token entry
// ("goes on"); it is the prefilter: a token that starts no identifier costs
// one read of it, the common case. The index file (file.go) holds the
// hashes, the filter and the person references, a key check and a
// checksum: no identifier in any encoding.
//
// # Matching
//
// Index.Match tokenizes a text keeping each token's span in the original
// bytes, hashes every token (a small per-matcher cache serves common
// words), and follows a token sequence only as far as the filter says some
// identifier may go on. Runs of number tokens are also tried joined and as
// E.164 phone numbers. Its matches are candidates, to be confirmed against
// the encrypted identifiers (Verify, MatchVerified, Equivalent) before
// anyone sees them.
package watch
