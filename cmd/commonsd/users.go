package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store"
)

// openStore loads the configuration and opens the store for a chore.
func openStore(ctx context.Context, c *cli, configPath string) (*store.DB, error) {
	cfg, err := LoadConfig(configPath, c.getenv)
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, cfg.Store.options(cfg.Server.BaseURL, newLogger(cfg.Log, c.stderr)))
}

// withStore runs fn on the store of the configuration, closed after it.
func withStore(ctx context.Context, c *cli, configPath string, fn func(*store.DB) error) error {
	db, err := openStore(ctx, c, configPath)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(db)
}

// parseOne parses a command that takes exactly one positional argument,
// named what in its usage error. Like parse, it returns errHelp after --help.
func parseOne(c *cli, fs *flag.FlagSet, args []string, what string) (string, error) {
	pos, err := parse(c, fs, args)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		return "", usagef("%s: want exactly one %s, got %d arguments", fs.Name(), what, len(pos))
	}
	return pos[0], nil
}

func cmdUserAdd(ctx context.Context, c *cli, args []string) error {
	fs, configPath := newFlags(c, "user add", "NAME --role editor|admin", "create a user; the password is read from a prompt, or from the first line of standard input")
	role := fs.String("role", commons.RoleEditor, "role: editor or admin")
	name, err := parseOne(c, fs, args, "user NAME")
	if err != nil {
		return helpOK(err)
	}
	password, err := readPassword(c)
	if err != nil {
		return err
	}
	return withStore(ctx, c, *configPath, func(db *store.DB) error {
		u, err := db.CreateUser(ctx, name, *role, password)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "created %s %s\n", u.Role, u.Name)
		return nil
	})
}

func cmdUserList(ctx context.Context, c *cli, args []string) error {
	fs, configPath := newFlags(c, "user list", "", "list users")
	if _, err := parse(c, fs, args); err != nil {
		return helpOK(err)
	}
	return withStore(ctx, c, *configPath, func(db *store.DB) error {
		users, err := db.Users(ctx)
		if err != nil {
			return err
		}
		for _, u := range users {
			fmt.Fprintf(c.stdout, "%-24s %-8s %s\n", u.Name, u.Role, u.Created.Format("2006-01-02"))
		}
		return nil
	})
}

func cmdTokenCreate(ctx context.Context, c *cli, args []string) error {
	fs, configPath := newFlags(c, "token create", "USER [--label TEXT]", "create an API token for a user and print it once")
	label := fs.String("label", "cli", "what the token is for")
	user, err := parseOne(c, fs, args, "USER")
	if err != nil {
		return helpOK(err)
	}
	return withStore(ctx, c, *configPath, func(db *store.DB) error {
		tok, err := db.CreateToken(ctx, user, *label)
		if err != nil {
			return err
		}
		fmt.Fprintln(c.stdout, tok)
		return nil
	})
}

// readPassword asks twice on a terminal, or reads the first line of a pipe.
// A password is never taken from the command line, where ps would show it.
func readPassword(c *cli) (string, error) {
	if f, ok := c.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(c.stderr, "Password (12 characters or more): ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(c.stderr, "Again: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(p1) != string(p2) {
			return "", errors.New("password: the two entries differ")
		}
		return string(p1), nil
	}
	line, err := bufio.NewReader(c.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("password: standard input is empty; pipe the password in or run on a terminal")
	}
	return line, nil
}
