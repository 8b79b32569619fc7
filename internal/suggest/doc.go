// Package suggest finds the name a user probably meant: the one closest to a
// mistyped name among the known ones, for "did you mean exec?" in an error.
//
//	if s, ok := suggest.Closest("exce", []string{"exec", "helm3"}); ok {
//		msg += "; did you mean " + s + "?"
//	}
//
// # Notes
//
// Closeness is the edit distance (insertions, deletions, substitutions and
// swaps of two neighbours) on bytes, at most 2 and at most half the name's
// length, so a short name is not matched to an unrelated one.
package suggest
