package store

import (
	"context"
	"fmt"

	"github.com/commons-directory/commons"
)

// RecordGrowth returns how many live records (local and remote) the
// directory held at the end of each month since the first, as Value
// "YYYY-MM" and a cumulative Count, oldest first.
func (db *DB) RecordGrowth(ctx context.Context) ([]commons.FacetCount, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+db.d.month("created")+` AS month, count(*)
		FROM records WHERE deleted_at IS NULL`+notProgramme+` GROUP BY month ORDER BY month`)
	if err != nil {
		return nil, fmt.Errorf("record growth: %w", err)
	}
	defer rows.Close()
	var out []commons.FacetCount
	total := 0
	for rows.Next() {
		var c commons.FacetCount
		if err := rows.Scan(&c.Value, &c.Count); err != nil {
			return nil, fmt.Errorf("record growth: %w", err)
		}
		total += c.Count
		c.Count = total
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("record growth: %w", err)
	}
	return out, nil
}
