// Command ferretdb-embedded runs FerretDB v1 on SQLite for Lectern's embedded
// default database.
//
// It uses FerretDB's embeddable package rather than its cmd/ferretdb: a binary
// from `go install .../cmd/ferretdb@v1.24.2` panics at start, because the module
// zip carries an empty build/version/version.txt that FerretDB checks only when
// it is the main module. The launcher also binds port 0 and reports the real
// address, so the parent never races for a free port, and it exits when its
// stdin closes, so a crashed parent leaves no orphan database behind.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:0", "TCP address to listen on")
	dir := flag.String("sqlite-dir", "", "directory for the SQLite files (required)")
	level := flag.String("log-level", "warn", "debug, info, warn or error")
	flag.Parse()

	if *dir == "" {
		fmt.Fprintln(os.Stderr, "ferretdb-embedded: -sqlite-dir is required")
		os.Exit(2)
	}
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb-embedded: %v\n", err)
		os.Exit(1)
	}

	var slogLevel slog.Level
	if err := slogLevel.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb-embedded: bad -log-level: %v\n", err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slogLevel}))

	db, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + *dir + "/",
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb-embedded: %v\n", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		stop()
	}()

	done := make(chan struct{})
	go func() {
		_ = db.Run(ctx)
		close(done)
	}()
	// MongoDBURI waits until the listener is bound.
	fmt.Printf("LISTENING %s\n", db.MongoDBURI())
	<-done
}
