package slackclient_test

import (
	"context"
	"strings"
	"testing"

	"github.com/golive-dev/golive/bot/slackclient"
)

func TestEscapeText(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"plain text", "plain text"},
		{"", ""},
		{"<!channel> deploy now", "&lt;!channel&gt; deploy now"},
		{"<!here|here>", "&lt;!here|here&gt;"},
		{"ping <@U0123ABC>", "ping &lt;@U0123ABC&gt;"},
		{"see <#C024BE7LR|general>", "see &lt;#C024BE7LR|general&gt;"},
		{"<https://evil.example|click me>", "&lt;https://evil.example|click me&gt;"},
		{"a & b", "a &amp; b"},
		{"&lt;!channel&gt;", "&amp;lt;!channel&amp;gt;"}, // pre-escaped input stays literal
		{"*bold* _it_ `code` ~s~", "*bold* _it_ `code` ~s~"},
		{"über <ü>", "über &lt;ü&gt;"},
	} {
		if got := slackclient.EscapeText(tt.in); got != tt.want {
			t.Errorf("EscapeText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestEscapedTextReachesSlackLiterally posts hostile text and checks no
// control sequence survives in what Slack stores.
func TestEscapedTextReachesSlackLiterally(t *testing.T) {
	e := setup(t)
	hostile := "PR title: <!channel> <@U1> <https://x.example|y> & more"
	ts, _, err := e.client.PostMessage(context.Background(), slackclient.Message{Channel: "C1", Text: "New PR: " + slackclient.EscapeText(hostile)})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := e.srv.Message("C1", ts)
	if strings.ContainsAny(m.Text, "<>") {
		t.Errorf("stored text %q still contains < or >", m.Text)
	}
	if want := "New PR: PR title: &lt;!channel&gt; &lt;@U1&gt; &lt;https://x.example|y&gt; &amp; more"; m.Text != want {
		t.Errorf("stored text = %q, want %q", m.Text, want)
	}
}
