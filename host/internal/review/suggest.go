package review

import (
	"fmt"
	"strings"

	"github.com/mixbox/mixbox/internal/suggest"
)

// closest returns the one of known that word is most likely a typo of, or
// "": the same word in another case, else one at most two edits away
// (insert, delete, substitute, swap two neighbours) and less than half its
// length, the first such on a tie.
func closest(word string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if k == word {
			continue
		}
		if strings.EqualFold(k, word) {
			return k
		}
		if d := suggest.Distance(strings.ToLower(word), strings.ToLower(k)); d < bestD && 2*d < len(word) {
			best, bestD = k, d
		}
	}
	return best
}

// didYouMean returns ` (did you mean "x"?)` for closest's answer, or "".
func didYouMean(word string, known []string) string {
	if s := closest(word, known); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}
