package takedown

// The templates notices are rendered from: the ones shipped with undox
// (or Config.Templates), each replaced by the version an admin made
// active (undox.NoticeTemplateStore).

import (
	"context"
	"strconv"
	"strings"
	"sync"

	"github.com/undox/undox/notice"
)

// templateCache keeps the set built from the stored versions until they
// change.
type templateCache struct {
	mu  sync.Mutex
	key string
	set *notice.Templates
}

// templates returns the set to render with now.
func (s *Service) templates(ctx context.Context) (*notice.Templates, error) {
	base := s.cfg.Templates
	if base == nil {
		var err error
		if base, err = notice.DefaultTemplates(); err != nil {
			return nil, err
		}
	}
	active, err := s.cfg.Store.ActiveNoticeTemplates(ctx)
	if err != nil {
		return nil, err
	}
	if len(active) == 0 {
		return base, nil
	}
	var key strings.Builder
	for _, v := range active {
		key.WriteString(strconv.FormatInt(v.ID, 10) + ",")
	}
	c := s.tmpl
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.key == key.String() && c.set != nil {
		return c.set, nil
	}
	set := base
	for _, v := range active {
		t, err := notice.ParseTemplate(v.Language, v.Name, []byte(v.Source))
		if err != nil {
			// Checked when saved; a newer undox may ask more of a
			// template. The shipped one stands in, and admins hear of it.
			s.cfg.Logger.Error("an edited notice template is no longer usable; the shipped one is used", "template", v.Language+"/"+v.Name,
				"version", v.Version, "err", err)
			continue
		}
		set = set.With(t)
	}
	c.key, c.set = key.String(), set
	return set, nil
}
