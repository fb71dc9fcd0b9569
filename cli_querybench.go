package main

import (
	"context"
	"errors"
	"io"
)

func cmdQueryBench(ctx context.Context, args []string, out io.Writer) error {
	return errors.New("todo")
}
