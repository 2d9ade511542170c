package ghclient_test

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/ghclient"
)

func delivery(id int64, guid string, code int, redelivery bool, ago time.Duration) map[string]any {
	return map[string]any{
		"id": id, "guid": guid, "status_code": code, "status": http.StatusText(code),
		"redelivery": redelivery, "delivered_at": clockStart.Add(-ago).Format(time.RFC3339),
		"event": "deployment_status", "action": "created", "installation_id": 42, "repository_id": 7, "duration": 0.3,
	}
}

func TestFailedDeliveries(t *testing.T) {
	pages := map[string][]map[string]any{
		"": { // newest first, as GitHub lists them
			delivery(10, "A", 200, true, 10*time.Minute), // A's redelivery worked
			delivery(9, "D", 500, true, 20*time.Minute),  // D failed again on redelivery
			delivery(8, "C", 202, false, 30*time.Minute), // C was fine
			delivery(7, "B", 502, false, 40*time.Minute), // B failed
		},
		"c2": {
			delivery(6, "D", 0, false, 50*time.Minute), // D timed out
			delivery(5, "A", 500, false, 60*time.Minute),
			delivery(4, "E", 404, false, 3*time.Hour), // before since: the sweep stops here
		},
		"c3": {
			delivery(3, "F", 500, false, 4*time.Hour),
		},
	}
	next := map[string]string{"": "c2", "c2": "c3"}
	var fake *fakeGitHub
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/app/hook/deliveries" {
			http.NotFound(w, r)
			return
		}
		q := r.URL.Query()
		if q.Get("per_page") != "100" {
			t.Errorf("per_page = %q, want 100", q.Get("per_page"))
		}
		cursor := q.Get("cursor")
		if n, ok := next[cursor]; ok {
			w.Header().Set("Link", fmt.Sprintf(`<%s/app/hook/deliveries?per_page=100&cursor=%s>; rel="next"`, fake.URL, n))
		}
		writeJSON(w, http.StatusOK, pages[cursor])
	}, nil)
	fake = h.fake

	got, err := h.apps.FailedDeliveries(context.Background(), clockStart.Add(-2*time.Hour))
	if err != nil {
		t.Fatalf("FailedDeliveries: %v", err)
	}
	want := []ghclient.HookDelivery{
		{ID: 9, GUID: "D", Event: "deployment_status", Action: "created", StatusCode: 500, Redelivery: true,
			DeliveredAt: clockStart.Add(-20 * time.Minute), InstallationID: 42},
		{ID: 7, GUID: "B", Event: "deployment_status", Action: "created", StatusCode: 502,
			DeliveredAt: clockStart.Add(-40 * time.Minute), InstallationID: 42},
	}
	for i := range got {
		got[i].DeliveredAt = got[i].DeliveredAt.UTC()
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("failed deliveries =\n%+v\nwant\n%+v", got, want)
	}

	reqs := h.fake.requests(http.MethodGet, "/app/hook/deliveries")
	var cursors []string
	for _, r := range reqs {
		cursors = append(cursors, r.Query)
	}
	if want := []string{"per_page=100", "cursor=c2&per_page=100"}; !reflect.DeepEqual(cursors, want) {
		t.Errorf("pages requested = %q, want %q (no page past since)", cursors, want)
	}

	// With since far back, every page is read and F is found too.
	got, err = h.apps.FailedDeliveries(context.Background(), clockStart.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var guids []string
	for _, d := range got {
		guids = append(guids, d.GUID)
	}
	if want := []string{"D", "B", "E", "F"}; !reflect.DeepEqual(guids, want) {
		t.Errorf("failed GUIDs over a day = %q, want %q", guids, want)
	}
}

func TestFailedDeliveriesReportsListError(t *testing.T) {
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "A JSON web token could not be decoded"})
	}, nil)
	_, err := h.apps.FailedDeliveries(context.Background(), clockStart.Add(-time.Hour))
	if err == nil {
		t.Fatal("FailedDeliveries succeeded against a 401")
	}
	if ghclient.IsTransient(err) {
		t.Errorf("401 classified transient: %v", err)
	}
}
