package flux

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxDrainReasonLen bounds a drain reason, in characters: Flux keeps it in the resource
// eventlog forever and prints it on every flux resource status line.
const MaxDrainReasonLen = 256

// ValidateDrainReason checks a reason can be passed to flux resource drain and read back
// from flux resource status: non-empty, printable on one line (no tabs or newlines, which
// would break status lines), at most MaxDrainReasonLen characters, and not starting with
// '-', which flux's argument parser would take for an option.
func ValidateDrainReason(reason string) error {
	switch {
	case reason == "":
		return errors.New("drain reason is empty: say why the ranks are drained, e.g. \"fluxscale: scale-down\"")
	case !utf8.ValidString(reason):
		return fmt.Errorf("drain reason %q is not valid UTF-8", reason)
	case utf8.RuneCountInString(reason) > MaxDrainReasonLen:
		return fmt.Errorf("drain reason %q is longer than %d characters", truncate(reason), MaxDrainReasonLen)
	case strings.HasPrefix(reason, "-"):
		return fmt.Errorf("drain reason %q starts with '-': flux would read it as an option", reason)
	}
	for _, r := range reason {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("drain reason %q holds the unprintable character %U", reason, r)
		}
	}
	return nil
}

// validateTargets checks ranks before they become a flux argument: an empty set would turn
// drain into a listing and undrain into a usage error.
func validateTargets(ranks RankSet) error {
	if len(ranks) == 0 {
		return errors.New("no ranks given")
	}
	if err := ranks.Validate(); err != nil {
		return fmt.Errorf("ranks: %w", err)
	}
	return nil
}

// Drain drains ranks with reason. It is idempotent: ranks already drained stay drained and
// keep their earlier reason.
func (c *CLI) Drain(ctx context.Context, ranks RankSet, reason string) error {
	if err := validateTargets(ranks); err != nil {
		return err
	}
	if err := ValidateDrainReason(reason); err != nil {
		return err
	}
	if err := c.ensureVersion(ctx); err != nil {
		return err
	}
	_, err := c.output(ctx, c.argv(drainArgs(ranks, reason)))
	return err
}

// Undrain undrains ranks. It is idempotent: ranks that are not drained are left alone
// (flux resource undrain -u, see undrainArgs).
func (c *CLI) Undrain(ctx context.Context, ranks RankSet) error {
	if err := validateTargets(ranks); err != nil {
		return err
	}
	if err := c.ensureVersion(ctx); err != nil {
		return err
	}
	_, err := c.output(ctx, c.argv(undrainArgs(ranks)))
	return err
}
