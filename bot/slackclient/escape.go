package slackclient

import "strings"

var textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// EscapeText escapes &, < and > as Slack's mrkdwn requires, so that text
// from users or GitHub shows literally: it cannot form mentions such as
// <!channel>, <!here> or <@U123>, channel links like <#C123>, or links like
// <https://example.com|label>. Escape each piece of untrusted text exactly
// once, before joining it with golive's own markup; escaping is not
// idempotent ("&amp;" becomes "&amp;amp;").
func EscapeText(s string) string { return textEscaper.Replace(s) }
