// Package mask replaces sensitive values in everything mixbox prints.
//
// A Set holds the values; a Writer masks a stream against one or more Sets.
// Unlike Porter's per-Write replacement, a Writer works on the stream: a
// value split across two writes is still masked, because the Writer holds
// back a tail that could be the start of a value until the next write or
// Flush resolves it.
//
//	secrets := mask.NewSet()
//	w := mask.NewWriter(os.Stdout, secrets)
//	secrets.Add("s3cr3t-pw")
//	fmt.Fprint(w, "pw=s3c")
//	fmt.Fprint(w, "r3t-pw\n") // prints "pw=*******"
//	w.Flush()
//
// # Security
//
// Add masks a value in every form it can take on its way to the log
// (Forms): each line of a multi-line value, the value folded as YAML folds
// a quoted scalar, its words joined by spaces, its JSON-escaped form, its
// control characters escaped, its base64. Occurrences that overlap are
// masked as one run, so two values sharing bytes cannot leave a part of
// either in clear. A Writer over several Sets applies them in order, each to
// the output of the one before: a later Set (a guest's) can mask more but
// never uncover a value of an earlier one (the run's secrets).
//
// Masking costs time linear in the bytes written, whatever the number of
// values: the values are matched with Aho–Corasick automata, built again
// only when the Set changes, in batches so that adding n values one at a
// time costs O(n log n) in all. A value longer than 4 KiB (a document such
// as a large step output, not a secret) is matched by its 256-byte chunks
// with a rolling hash instead, for a few bytes of memory per chunk: printed
// whole it is one Replacement; of a part of it, less than a chunk may be
// left at either end. Forms are derived for values up to 64 KiB.
//
// # Notes
//
// A value or a line shorter than MinLen characters (white space around it
// not counted) is not masked by itself, and Add says so: masking every "x"
// of the log hides nothing. Values empty after trimming white space are
// ignored, as in Porter. A Writer never holds back more than the longest
// value's length. Masking does not make a secret safe from a program that
// transforms it (reverses, splits, encodes it in a way not listed): see
// SECURITY.md.
package mask
