web_search_options={}, # 搜索参数
