package exec

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// loadActionsPlain decodes step input in the block form mixbox's host
// writes it (yaml.v3, 2-space indent, generic values) without yaml.v3: one
// pass over the lines into a small tree, then into steps. It accepts only a
// subset whose meaning it is sure of: block mappings and sequences, the
// empty [] and {}, one-line plain, single- and double-quoted scalars and
// literal blocks (| and |-) that yaml.v3 would read as strings, true and
// false, and integers in canonical decimal; no comment, tag, anchor, alias,
// merge key, repeated key, null, float or folded line. Such input is what
// loadActionsDirect decodes, and gives the same steps (FuzzLoadActionsPlain).
// It reports false for anything else, and yaml.v3 then decides. In a wasm
// build yaml.v3 was half of a step's guest time (RATIONALE.md, "Why does the
// exec mixin read its step input itself?").
func loadActionsPlain(input []byte) ([]action, bool) {
	if !plainText(input) {
		return nil, false
	}
	p := plainParser{lines: strings.Split(string(input[:len(input)-1]), "\n")}
	root, ok := p.node(0)
	if !ok || p.i != len(p.lines) || root.kind != 'm' {
		return nil, false
	}
	actions := make([]action, 0, len(root.kids)/2)
	for i := 0; i < len(root.kids); i += 2 {
		name, steps := root.kids[i], root.kids[i+1]
		if steps.kind != 'q' {
			return nil, false
		}
		a := action{Name: name.val, Steps: make([]Step, len(steps.kids))}
		for j, s := range steps.kids {
			if s.kind != 'm' {
				return nil, false
			}
			if body := s.get("exec"); body != nil && !body.instruction(&a.Steps[j].Instruction) {
				return nil, false
			}
		}
		actions = append(actions, a)
	}
	slices.SortFunc(actions, func(a, b action) int { return strings.Compare(a.Name, b.Name) })
	return actions, true
}

// plainText reports whether input is non-empty, ends in a newline and holds
// no character that yaml.v3 reads as a break, refuses, or that mixbox does
// not write outside quotes: control characters other than newline (tab and
// carriage return included), DEL and C1, U+2028, U+2029, a byte order mark,
// U+FFFE and U+FFFF, and invalid UTF-8.
func plainText(input []byte) bool {
	if len(input) == 0 || input[len(input)-1] != '\n' {
		return false
	}
	for i := 0; i < len(input); {
		c := input[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\n') || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(input[i:])
		if r == utf8.RuneError || r <= 0x9f || r == 0x2028 || r == 0x2029 || r == 0xfeff || r == 0xfffe || r == 0xffff {
			return false
		}
		i += n
	}
	return true
}

// pnode is a node of plain input: a scalar ('s', with its resolved tag:
// 's' string, 'b' bool, 'i' int), a mapping ('m', kids are key, value,
// key, value...) or a sequence ('q').
type pnode struct {
	kind byte
	tag  byte
	val  string
	kids []*pnode
}

// get returns the value of key k of a mapping, or nil.
func (n *pnode) get(k string) *pnode {
	for i := 0; i < len(n.kids); i += 2 {
		if n.kids[i].val == k {
			return n.kids[i+1]
		}
	}
	return nil
}

// plainParser reads lines of plain input; i is the next line.
type plainParser struct {
	lines []string
	i     int
}

// indent returns the number of leading spaces of line i, or -1 past the end.
func (p *plainParser) indent(i int) int {
	if i >= len(p.lines) {
		return -1
	}
	l := p.lines[i]
	return len(l) - len(strings.TrimLeft(l, " "))
}

// node reads the block collection that starts at line p.i, indented by ind.
func (p *plainParser) node(ind int) (*pnode, bool) {
	if p.indent(p.i) != ind {
		return nil, false
	}
	if rest := p.lines[p.i][ind:]; rest == "-" || strings.HasPrefix(rest, "- ") {
		return p.sequence(ind)
	}
	return p.mapping(ind, p.lines[p.i][ind:])
}

// sequence reads "- item" lines at ind.
func (p *plainParser) sequence(ind int) (*pnode, bool) {
	n := &pnode{kind: 'q'}
	// Any other line ends the sequence: the mapping it is in goes on, or
	// nothing reads the line (a null item "-") and the input is refused.
	for p.indent(p.i) == ind && strings.HasPrefix(p.lines[p.i][ind:], "- ") {
		item := p.lines[p.i][ind+2:]
		var kid *pnode
		var ok bool
		if k, _, isKey := cutKey(item); isKey && k != "" {
			kid, ok = p.mapping(ind+2, item) // "- key: ..." starts a mapping at ind+2
		} else {
			kid, ok = p.scalarLine(item, ind)
		}
		if !ok {
			return nil, false
		}
		n.kids = append(n.kids, kid)
	}
	return n, true
}

// mapping reads "key: value" lines at ind; first is the text of the first
// one (after a "- " it is not a whole line).
func (p *plainParser) mapping(ind int, first string) (*pnode, bool) {
	n := &pnode{kind: 'm'}
	seen := make(map[string]bool) // a linear search would make many keys quadratic
	text := first
	for {
		k, v, isKey := cutKey(text)
		if !isKey {
			return nil, false
		}
		key, ok := scalar(k)
		if !ok || key.tag != 's' || key.val == "<<" || seen[key.val] {
			return nil, false
		}
		seen[key.val] = true
		var val *pnode
		if v == "" {
			p.i++
			next := p.indent(p.i)
			switch {
			case next > ind:
				val, ok = p.node(next)
			case next == ind && strings.HasPrefix(p.lines[p.i][ind:], "- "):
				val, ok = p.sequence(ind) // an indentless sequence
			default:
				return nil, false // a null value
			}
		} else {
			val, ok = p.scalarLine(v, ind)
		}
		if !ok {
			return nil, false
		}
		n.kids = append(n.kids, key, val)
		if p.indent(p.i) != ind {
			return n, true
		}
		text = p.lines[p.i][ind:]
		if strings.HasPrefix(text, "-") {
			return n, true // the next item of an indentless sequence
		}
	}
}

// scalarLine reads the value v that ends line p.i, whose key or item is at
// ind: [], {}, a literal block, or a one-line scalar. It moves p.i past it.
func (p *plainParser) scalarLine(v string, ind int) (*pnode, bool) {
	switch v {
	case "[]":
		p.i++
		return &pnode{kind: 'q'}, true
	case "{}":
		p.i++
		return &pnode{kind: 'm'}, true
	case "|", "|-":
		return p.literal(v == "|", ind)
	}
	n, ok := scalar(v)
	p.i++
	return n, ok
}

// literal reads the lines of a literal block after line p.i; its content is
// indented by more than ind, as the first line shows (which must not be
// empty or start with a space: yaml.v3 then writes an indentation
// indicator). clip keeps one final newline, strip none.
func (p *plainParser) literal(clip bool, ind int) (*pnode, bool) {
	p.i++
	in := p.indent(p.i)
	if in <= ind || strings.TrimLeft(p.lines[p.i], " ") == "" {
		return nil, false
	}
	var lines []string
	for ; p.i < len(p.lines); p.i++ {
		l := p.lines[p.i]
		if strings.TrimLeft(l, " ") == "" {
			if len(l) > in {
				return nil, false // spaces beyond the indentation: content yaml.v3 keeps
			}
			lines = append(lines, "")
			continue
		}
		if p.indent(p.i) < in {
			break
		}
		lines = append(lines, l[in:])
	}
	if lines[len(lines)-1] == "" {
		return nil, false // trailing empty lines: chomping is yaml.v3's to apply
	}
	s := strings.Join(lines, "\n")
	if clip {
		s += "\n"
	}
	return &pnode{kind: 's', tag: 's', val: s}, true
}

// cutKey splits "key: value" or "key:" at the colon that ends the key: the
// first ": " or a final ":" outside quotes.
func cutKey(s string) (key, val string, ok bool) {
	end := 0
	if s != "" && (s[0] == '"' || s[0] == '\'') {
		end = closingQuote(s)
		if end < 0 {
			return "", "", false
		}
	}
	rest := s[end:]
	if i := strings.Index(rest, ": "); i >= 0 {
		return s[:end+i], rest[i+2:], true
	}
	if strings.HasSuffix(rest, ":") {
		return s[:len(s)-1], "", true
	}
	return "", "", false
}

// closingQuote returns the index just past the quote that closes the
// quoted scalar s starts with, or -1.
func closingQuote(s string) int {
	q := s[0]
	for i := 1; i < len(s); i++ {
		switch {
		case q == '"' && s[i] == '\\':
			i++
		case s[i] == q && q == '\'' && i+1 < len(s) && s[i+1] == '\'':
			i++
		case s[i] == q:
			return i + 1
		}
	}
	return -1
}

// scalar resolves the one-line scalar s as yaml.v3 would, when it is sure
// to: quoted scalars are strings, a plain one is a string, true or false,
// or a canonical decimal integer. It reports false for anything else.
func scalar(s string) (*pnode, bool) {
	if s == "" {
		return nil, false
	}
	switch s[0] {
	case '"':
		if closingQuote(s) != len(s) {
			return nil, false
		}
		v, ok := unescape(s[1 : len(s)-1])
		return &pnode{kind: 's', tag: 's', val: v}, ok
	case '\'':
		if closingQuote(s) != len(s) {
			return nil, false
		}
		return &pnode{kind: 's', tag: 's', val: strings.ReplaceAll(s[1:len(s)-1], "''", "'")}, true
	}
	if strings.Contains(s, " #") || strings.Contains(s, ": ") || strings.HasSuffix(s, ":") || strings.HasSuffix(s, " ") {
		return nil, false
	}
	switch s {
	case "true", "false":
		return &pnode{kind: 's', tag: 'b', val: s}, true
	}
	c := s[0]
	word := len(s) > 1 && (s[1] == '-' || s[1] >= 'a' && s[1] <= 'z' || s[1] >= 'A' && s[1] <= 'Z' || s[1] == '/')
	switch {
	case (c == '-' || c == '+' || c == '.') && word:
		// --force, ./run.sh: not a number, infinity or NaN.
		l := strings.ToLower(s)
		if strings.HasPrefix(l, ".inf") || strings.HasPrefix(l, ".nan") || strings.HasPrefix(l, "-.") || strings.HasPrefix(l, "+.") {
			return nil, false
		}
		return &pnode{kind: 's', tag: 's', val: s}, true
	case c >= '0' && c <= '9' || c == '-' || c == '+':
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || strconv.FormatInt(v, 10) != s {
			return nil, false
		}
		return &pnode{kind: 's', tag: 'i', val: s}, true
	}
	if strings.ContainsRune("?:,[]{}#&*!|>'\"%@`.~ <=", rune(c)) || !plainWord(s) {
		return nil, false
	}
	return &pnode{kind: 's', tag: 's', val: s}, true
}

// plainWord reports whether the plain scalar s (its first character checked)
// cannot resolve to anything but a string in yaml.v3: it is not one of the
// null, bool, float or merge spellings, which all start with a letter from
// this list.
func plainWord(s string) bool {
	switch strings.ToLower(s) {
	case "null", "true", "false", "yes", "no", "on", "off", "y", "n":
		return false
	}
	return true
}

// unescape decodes the body of a double-quoted scalar (YAML 1.2 escapes).
func unescape(s string) (string, bool) {
	if !strings.Contains(s, "\\") {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		i++
		if i >= len(s) {
			return "", false
		}
		size := 0
		switch s[i] {
		case '0':
			b.WriteByte(0)
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'v':
			b.WriteByte('\v')
		case 'f':
			b.WriteByte('\f')
		case 'r':
			b.WriteByte('\r')
		case 'e':
			b.WriteByte(0x1b)
		case ' ', '"', '/', '\\':
			b.WriteByte(s[i])
		case 'N':
			b.WriteString("\u0085")
		case '_':
			b.WriteString("\u00a0")
		case 'L':
			b.WriteString("\u2028")
		case 'P':
			b.WriteString("\u2029")
		case 'x':
			size = 2
		case 'u':
			size = 4
		case 'U':
			size = 8
		default:
			return "", false
		}
		if size == 0 {
			continue
		}
		if i+1+size > len(s) {
			return "", false
		}
		v, err := strconv.ParseUint(s[i+1:i+1+size], 16, 32)
		if err != nil || !utf8.ValidRune(rune(v)) {
			return "", false
		}
		b.WriteRune(rune(v))
		i += size
	}
	return b.String(), true
}

// instruction decodes an exec body as yaml.v3 decodes it into Instruction:
// known keys set their field, others are ignored.
func (n *pnode) instruction(in *Instruction) bool {
	if n.kind != 'm' {
		return false
	}
	for i := 0; i < len(n.kids); i += 2 {
		v := n.kids[i+1]
		ok := true
		switch n.kids[i].val {
		case "description":
			in.Description, ok = v.str()
		case "command":
			in.Command, ok = v.str()
		case "dir":
			in.WorkingDir, ok = v.str()
		case "arguments":
			in.Arguments, ok = v.strs()
		case "suffix-arguments":
			in.SuffixArguments, ok = v.strs()
		case "flags":
			in.Flags, ok = v.flags()
		case "envs":
			in.EnvironmentVars, ok = v.env()
		case "outputs":
			in.Outputs, ok = v.outputs()
		case "suppress-output":
			in.SuppressOutput, ok = v.bool()
		case "ignoreError":
			ok = v.ignoreError(&in.IgnoreError)
		}
		if !ok {
			return false
		}
	}
	return true
}

// str decodes a string field: yaml.v3 sets it from any scalar's text.
func (n *pnode) str() (string, bool) { return n.val, n.kind == 's' }

func (n *pnode) bool() (bool, bool) { return n.val == "true", n.kind == 's' && n.tag == 'b' }

// strs decodes a []string field.
func (n *pnode) strs() ([]string, bool) {
	if n.kind != 'q' {
		return nil, false
	}
	out := make([]string, len(n.kids))
	for i, k := range n.kids {
		if k.kind != 's' {
			return nil, false
		}
		out[i] = k.val
	}
	return out, true
}

// ints decodes a []int field.
func (n *pnode) ints() ([]int, bool) {
	if n.kind != 'q' {
		return nil, false
	}
	out := make([]int, len(n.kids))
	for i, k := range n.kids {
		if k.kind != 's' || k.tag != 'i' {
			return nil, false
		}
		v, err := strconv.Atoi(k.val)
		if err != nil {
			return nil, false
		}
		out[i] = v
	}
	return out, true
}

// env decodes a map[string]string field.
func (n *pnode) env() (map[string]string, bool) {
	if n.kind != 'm' {
		return nil, false
	}
	out := make(map[string]string, len(n.kids)/2)
	for i := 0; i < len(n.kids); i += 2 {
		v := n.kids[i+1]
		if v.kind != 's' {
			return nil, false
		}
		out[n.kids[i].val] = v.val
	}
	return out, true
}

// flags decodes flags as cmdFlags.UnmarshalYAML does: a scalar is one
// value, a sequence of strings many.
func (n *pnode) flags() (cmdFlags, bool) {
	if n.kind != 'm' {
		return nil, false
	}
	out := make(cmdFlags, 0, len(n.kids)/2)
	for i := 0; i < len(n.kids); i += 2 {
		fl := cmdFlag{Name: n.kids[i].val}
		switch v := n.kids[i+1]; v.kind {
		case 's':
			fl.Values = []string{v.val}
		case 'q':
			fl.Values = make([]string, len(v.kids))
			for j, item := range v.kids {
				if item.kind != 's' || item.tag != 's' {
					return nil, false
				}
				fl.Values[j] = item.val
			}
		default:
			return nil, false
		}
		out = append(out, fl)
	}
	return out, true
}

// outputs decodes the outputs field.
func (n *pnode) outputs() ([]Output, bool) {
	if n.kind != 'q' {
		return nil, false
	}
	out := make([]Output, len(n.kids))
	for i, k := range n.kids {
		if k.kind != 'm' {
			return nil, false
		}
		for j := 0; j < len(k.kids); j += 2 {
			ok := true
			v := k.kids[j+1]
			switch k.kids[j].val {
			case "name":
				out[i].Name, ok = v.str()
			case "path":
				out[i].FilePath, ok = v.str()
			case "jsonPath":
				out[i].JSONPath, ok = v.str()
			case "regex":
				out[i].Regex, ok = v.str()
			}
			if !ok {
				return nil, false
			}
		}
	}
	return out, true
}

// ignoreError decodes the ignoreError field.
func (n *pnode) ignoreError(ie *IgnoreError) bool {
	if n.kind != 'm' {
		return false
	}
	for i := 0; i < len(n.kids); i += 2 {
		ok := true
		v := n.kids[i+1]
		switch n.kids[i].val {
		case "all":
			ie.All, ok = v.bool()
		case "exitCodes":
			ie.ExitCodes, ok = v.ints()
		case "output":
			if v.kind != 'm' {
				return false
			}
			for j := 0; j < len(v.kids) && ok; j += 2 {
				switch v.kids[j].val {
				case "contains":
					ie.Output.Contains, ok = v.kids[j+1].strs()
				case "regex":
					ie.Output.Regex, ok = v.kids[j+1].strs()
				}
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
