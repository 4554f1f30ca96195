{
    "role": "user",
    "content": [
        {
            "type": "image_url",
            "image_url": {
                "url": "https://example.com/image.png",
                "detail": "high"
            }
        },
        {
            "type": "text",
            "text": "Describe this image"
        }
    ]
}
