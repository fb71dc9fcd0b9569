package main

import (
	"flag"
	"fmt"
)

// parseFlags parses a command's flags and refuses whatever is left over.
// The flag package stops at the first argument that is not a flag, so in
// "tenants update --tenant 2 oops --name X" the --name after the stray word
// would be dropped without a word and the command would still succeed.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q (flags follow the action or id)", fs.Name(), fs.Arg(0))
	}
	return nil
}
