{
    "role": "user",
    "content": [
        {
            "type": "image_url",
            "image_url": {
                "url": f"data:image/jpeg;base64,{base64_image}",
                "detail": "low"
            }
        },
        {
            "type": "text",
            "text": "Describe this image"
        }
    ]
}
