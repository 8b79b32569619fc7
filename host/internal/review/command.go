package review

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/mixbox/mixbox/host/internal/manifest"
	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/host/internal/yamlnode"
)

// commands checks the command of each exec step that names a file of the
// bundle: `./x`, `sub/x` or `/cnab/app/x` (from the step's dir), and a bare
// name that is a file of the bundle, which Porter's exec mixin runs when
// the name is not on the PATH. A file without the execute bit is an error
// (the step fails with `permission denied`); a path that is not there a
// warning (an earlier step may write it).
func (l *linter) commands(context.Context) error {
	for _, st := range l.steps {
		if st.Mixin != policy.ExecMixin {
			continue
		}
		cmdNode := yamlnode.Get(body(st), "command")
		if cmdNode == nil || cmdNode.Kind != yaml.ScalarNode || cmdNode.Value == "" || l.templated(cmdNode.Value) {
			continue
		}
		l.command(st, cmdNode)
	}
	return nil
}

func (l *linter) command(st manifest.Step, cmdNode *yaml.Node) {
	cmd := cmdNode.Value
	dir := l.b.dir
	if d := yamlnode.Get(body(st), "dir"); d != nil && d.Kind == yaml.ScalarNode && d.Value != "" && d.Value != "." {
		if l.templated(d.Value) {
			return
		}
		if dir = l.b.onDisk(d.Value); dir == "" {
			return // a directory of the host, not of the bundle
		}
	}
	bare := !strings.Contains(cmd, "/")
	file := filepath.Join(dir, cmd)
	if filepath.IsAbs(cmd) {
		if file = l.b.onDisk(cmd); file == "" {
			return // a command of the host
		}
	}
	fi, err := os.Stat(file)
	switch {
	case err != nil && bare:
		return // a command looked up on the PATH
	case err != nil:
		l.add(LevelWarning, "mixbox-131", cmdNode.Line,
			"add the file to the bundle directory, or fix the path (it is taken from the step's dir, else the bundle directory)",
			"%s: command %s names %s, which is not in the bundle", where(st), cmd, l.b.shown(file))
	case fi.IsDir():
		if !bare {
			l.add(LevelError, "mixbox-130", cmdNode.Line, "name the script or program inside it",
				"%s: command %s is a directory of the bundle", where(st), cmd)
		}
	case fi.Mode()&0o111 == 0:
		also := ""
		if bare {
			also = fmt.Sprintf(" (the exec mixin runs it when %s is not on the PATH)", cmd)
		}
		l.add(LevelError, "mixbox-130", cmdNode.Line,
			fmt.Sprintf("chmod +x %s, and keep the mode where the bundle is built", l.b.shown(file)),
			"%s: command %s is a bundle file without the execute bit%s, so it fails with permission denied", where(st), cmd, also)
	}
}
