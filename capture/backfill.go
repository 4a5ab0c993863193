package capture

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/undox/undox"
	"github.com/undox/undox/blob"
	"github.com/undox/undox/mirror"
)

// PrintStore is what BackfillPrints needs from the database.
type PrintStore interface {
	UnprintedCaptures(ctx context.Context, after int64, limit int) ([]undox.UnprintedCapture, error)
	SavePrint(ctx context.Context, captureID int64, print []byte) error
}

// backfillBatch is how many captures BackfillPrints reads at a time.
const backfillBatch = 100

// BackfillPrints prints the texts of the captures kept before captures
// had prints (package mirror), oldest first, reading each text from the
// evidence store under its case's key, so that copies of the pages
// confirmed before then are recognised too. A text that cannot be read
// (its case erased meanwhile, a damaged blob) is passed over and logged.
// It returns how many captures it printed.
func BackfillPrints(ctx context.Context, st PrintStore, blobs blob.Store, pr *mirror.Printer, log *slog.Logger) (int, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n, after := 0, int64(0)
	for {
		todo, err := st.UnprintedCaptures(ctx, after, backfillBatch)
		if err != nil || len(todo) == 0 {
			return n, err
		}
		for _, u := range todo {
			after = u.ID
			text, err := readText(ctx, blobs, u)
			if err != nil {
				if ctx.Err() != nil {
					return n, ctx.Err()
				}
				log.Warn("mirror prints: a capture's text cannot be read", "capture", u.ID, "err", err)
				continue
			}
			p, ok := pr.Print(text)
			if !ok {
				continue // too short to print
			}
			raw, _ := p.MarshalBinary()
			if err := st.SavePrint(ctx, u.ID, raw); err != nil {
				return n, fmt.Errorf("capture %d: %w", u.ID, err)
			}
			n++
		}
	}
}

func readText(ctx context.Context, blobs blob.Store, u undox.UnprintedCapture) (string, error) {
	rc, err := blobs.Get(ctx, blob.Ref{Owner: u.CaseRef, SHA256: u.Text.SHA256, Size: u.Text.Size}, u.Key)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return string(b), err
}
