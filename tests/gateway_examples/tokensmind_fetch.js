// 请在 https://tokensmind.ai 域名下尝试,否则有浏览器跨域问题
fetch("https://tokensmind.ai/v1/chat/completions", {
method: "POST",
headers: {
Authorization: "Bearer <Tokensmind_API_KEY>",
"Content-Type": "application/json",
},
body: JSON.stringify({
model: "gpt-4o-mini",
messages: [
{
role: "user",
content: "What is the meaning of life?",
},
],
}),
});
