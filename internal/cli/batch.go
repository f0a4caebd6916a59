package cli

import (
	"errors"
	"io"
	"sync"

	"github.com/degen-llm/degen/internal/jsonl"
)

// batchSize is how many records are read before the workers start on them.
const batchSize = 512

// processBatches reads records in batches, runs work on each record with
// one worker per goroutine (worker i handles records i, i+n, ...), and
// writes the batch in input order, so the output does not depend on the
// number of workers.
//
//	reader ──batch──▶ worker 0 ┐
//	                  worker 1 ┼──▶ emit, in input order ──▶ writer
//	                  ...      ┘
//
// work returns what emit needs of a record besides the record itself, or
// an error for the record (fatal, or skipped with --on-error=skip); emit
// decides what is written (it may drop or add records).
func processBatches[W, A any](s *stream, workers []W, work func(w W, rec *jsonl.Record) (A, error), emit func(rec *jsonl.Record, a A) error) error {
	type item struct {
		rec  *jsonl.Record
		line int
		name string
		a    A
		err  error
	}
	batch := make([]item, 0, batchSize)
	for {
		batch = batch[:0]
		var readErr error
		for len(batch) < batchSize {
			rec, err := s.next()
			if err != nil {
				readErr = err
				break
			}
			batch = append(batch, item{rec: rec, line: s.in.Line(), name: s.in.Name()})
		}
		if len(batch) > 0 {
			var wg sync.WaitGroup
			for wi := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := wi; i < len(batch); i += len(workers) {
						batch[i].a, batch[i].err = work(workers[wi], batch[i].rec)
					}
				}()
			}
			wg.Wait()
			for i := range batch {
				if err := batch[i].err; err != nil {
					if err := s.failed(batch[i].rec, &jsonl.LineError{Input: batch[i].name, Line: batch[i].line, Err: err}); err != nil {
						return err
					}
					continue
				}
				if err := emit(batch[i].rec, batch[i].a); err != nil {
					return err
				}
			}
		}
		if errors.Is(readErr, io.EOF) {
			return nil
		}
		if readErr != nil {
			return readErr
		}
	}
}
