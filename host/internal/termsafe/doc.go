// Package termsafe escapes the characters a terminal acts on, so that what a
// guest writes to its log cannot move the cursor, erase lines, recolour or
// retitle the console, and so cannot pass for mixbox's own lines.
//
//	termsafe.Escape("\x1b[2Kok\n") // `\x1b[2Kok` + "\n"
//	w := termsafe.NewWriter(console) // the same on a stream
//	fmt.Fprint(w, "\x1b[31mred")
//	w.Flush()
//
// # Notes
//
// Tabs, newlines and printable UTF-8 are kept. C0 controls (carriage
// return included), DEL and C1 controls are written as `\xNN` (`\u00NN` for
// C1), and so is every byte that is not part of valid UTF-8: a lone 0x9b is
// a CSI to some terminals. A Writer holds back at most the three bytes of an
// incomplete UTF-8 sequence until the next Write or Flush.
package termsafe
